/**
 * `locale_gen`: a locale compiled on the host or not, as
 * community.general.locale_gen: whether it is there is read from `locale -a`
 * (encodings compared as Ansible normalises them: .utf8 is .UTF-8); the
 * locale must be listed in /etc/locale.gen (Debian) or
 * /usr/share/i18n/SUPPORTED (Ubuntu's /var/lib/locales/supported.d). On
 * Debian its /etc/locale.gen line is uncommented (present) or commented
 * (absent), with a diff, and `locale-gen` runs; on Ubuntu `locale-gen NAME`
 * adds it, and removing takes it out of supported.d/local before
 * `locale-gen --purge`.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { planFileContent } from './file-content.js';

const localeGenArgs = z
  .object({
    name: z.string().regex(/^\S+_\S+$/, 'a locale such as en_US.UTF-8 or de_CH.UTF-8'),
    state: z.enum(['present', 'absent']).default('present'),
  })
  .strict();

const NORMALISED: Readonly<Record<string, string>> = {
  '.utf8': '.UTF-8', '.eucjp': '.EUC-JP', '.iso885915': '.ISO-8859-15', '.cp1251': '.CP1251', '.koi8r': '.KOI8-R',
  '.armscii8': '.ARMSCII-8', '.euckr': '.EUC-KR', '.gbk': '.GBK', '.gb18030': '.GB18030', '.euctw': '.EUC-TW',
};

/** `locale -a` writes encodings in lower case without dashes; the names people write do not. */
export function normaliseLocale(name: string): string {
  return Object.entries(NORMALISED).reduce((text, [from, to]) => text.split(from).join(to), name);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a file of "LOCALE CHARSET" lines (commented out too, on Debian) lists the locale. */
export function listsLocale(content: string, name: string, commentedToo: boolean): boolean {
  const line = new RegExp(`^${commentedToo ? '#?\\s*' : ''}(\\S+_\\S+) (\\S+)\\s*$`);
  return content.split('\n').some((text) => line.exec(text)?.[1] === name);
}

/** /etc/locale.gen with the locale's line uncommented (present) or commented (absent), as the collection edits it. */
export function editLocaleGen(content: string, name: string, state: 'present' | 'absent'): string {
  const line = new RegExp(`#?\\s*${escape(name)} (.+)`);
  return content.split('\n').map((text) => text.replace(line, (_match, charset: string) => `${state === 'present' ? '' : '# '}${name} ${charset}`)).join('\n');
}

export const localeGen = defineModule({
  name: 'locale_gen',
  schema: localeGenArgs,
  async plan(ctx, args): Promise<Plan> {
    const read = await ctx.probe('if [ -d /var/lib/locales/supported.d ]; then echo ubuntu; elif [ -f /etc/locale.gen ]; then echo debian; else echo none; fi; locale -a 2>/dev/null; exit 0');
    const [layout, ...installed] = read.stdout.split('\n').map((line) => line.trim());
    if (layout === 'none') return { steps: [], failed: '/etc/locale.gen and /var/lib/locales/supported.d/local are missing. Is the package "locales" installed?' };
    const ubuntu = layout === 'ubuntu';
    const listing = ubuntu ? '/usr/share/i18n/SUPPORTED' : '/etc/locale.gen';
    const listed = (await ctx.readFile(listing))?.toString('utf8') ?? '';
    if (!listsLocale(listed, args.name, !ubuntu)) return { steps: [], failed: "The locale you've entered is not available on your system." };
    const present = installed.some((line) => line !== '' && normaliseLocale(line) === normaliseLocale(args.name));
    const result = { name: args.name, msg: 'OK' };
    if (present === (args.state === 'present')) return { steps: [], result };
    if (ubuntu) {
      if (args.state === 'present') return { steps: [{ kind: 'command', description: `generate the locale ${args.name}`, command: quoteArgs(['locale-gen', args.name]) }], result };
      const local = '/var/lib/locales/supported.d/local';
      const kept = ((await ctx.readFile(local))?.toString('utf8') ?? '').split('\n').filter((line) => line.split(' ')[0] !== args.name).join('\n');
      const edit = await planFileContent(ctx, { path: local, content: kept, backup: false, force: true });
      return { steps: [...edit.steps, { kind: 'command', description: 'remove the locales no longer listed', command: 'locale-gen --purge' }], diffs: edit.diffs, result };
    }
    const edit = await planFileContent(ctx, { path: listing, content: editLocaleGen(listed, args.name, args.state), backup: false, force: true });
    const generate: Step = { kind: 'command', description: 'compile the locales /etc/locale.gen lists', command: 'locale-gen' };
    return { steps: [...edit.steps, generate], diffs: edit.diffs, result };
  },
});
