/**
 * `modprobe`: a kernel module loaded or not, and loaded at boot or not, as
 * community.general.modprobe: present loads it (`modprobe NAME PARAMS`)
 * unless /proc/modules lists it or it is built into the kernel
 * (modules.builtin); absent unloads it (`modprobe -r`). `persistent: present`
 * writes /etc/modules-load.d/NAME.conf (and /etc/modprobe.d/NAME.conf with
 * `options NAME PARAMS` when params are given); `absent` removes them.
 * Module names compare with '-' and '_' alike, as the kernel does.
 * A module the kernel shows in /sys/module (built in with parameters, or
 * loaded) counts as loaded too: a kernel built without module support has
 * neither /proc/modules nor modules.builtin, and its built-in drivers are
 * there only. Ansible's module fails on such a kernel (it opens
 * /proc/modules); here `overlay` on it is simply present. A missing
 * /etc/modules-load.d (no systemd) is created, where Ansible's fails.
 */
import { z } from 'zod';
import { defineModule, type Plan, type Step } from './types.js';
import { quoteArgs } from '../transport/shell-quote.js';
import { planFileContent, statPath } from './file-content.js';

const modprobeArgs = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a kernel module name'),
    state: z.enum(['present', 'absent']).default('present'),
    params: z.string().regex(/^[^\n]*$/, 'one line').default(''),
    persistent: z.enum(['disabled', 'present', 'absent']).default('disabled'),
  })
  .strict();

const canonical = (name: string) => name.replace(/-/g, '_');

export const modprobe = defineModule({
  name: 'modprobe',
  schema: modprobeArgs,
  async plan(ctx, args): Promise<Plan> {
    const { name } = args;
    const loadedList = (await ctx.readFile('/proc/modules'))?.toString('utf8') ?? '';
    const loaded = loadedList.split('\n').some((line) => line.split(' ')[0] === canonical(name));
    const kernel = (await ctx.facts()).os.kernel;
    const builtinList = (await ctx.readFile(`/lib/modules/${kernel}/modules.builtin`))?.toString('utf8') ?? '';
    const builtin = builtinList.split('\n').some((line) => canonical(line.split('/').pop()?.replace(/\.ko(\.\w+)?$/, '') ?? '') === canonical(name));
    const inSysfs = !loaded && !builtin && args.state === 'present' && (await statPath(ctx, `/sys/module/${canonical(name)}`))?.kind === 'directory';
    const params = args.params.trim();
    const steps: Step[] = [];
    if (args.state === 'present' && !loaded && !builtin && !inSysfs) {
      steps.push({ kind: 'command', description: `load ${name}`, command: quoteArgs(['modprobe', name, ...(params ? params.split(/\s+/) : [])]), failOutputLines: 3 });
    }
    if (args.state === 'absent' && loaded) {
      steps.push({ kind: 'command', description: `unload ${name}`, command: quoteArgs(['modprobe', '-r', name]), failOutputLines: 3 });
    }
    const loadFile = `/etc/modules-load.d/${name}.conf`;
    const optionsFile = `/etc/modprobe.d/${name}.conf`;
    const diffs: NonNullable<Plan['diffs']> = [];
    if (args.persistent === 'present') {
      for (const [file, content] of [[loadFile, `${name}\n`], ...(params ? [[optionsFile, `options ${name} ${params}\n`]] : [])] as const) {
        // systemd ships /etc/modules-load.d: a host without it (a container, a minimal root) gets the folder.
        const folder = file.slice(0, file.lastIndexOf('/'));
        if (!(await statPath(ctx, folder))) steps.push({ kind: 'command', description: `create ${folder}`, command: quoteArgs(['install', '-d', '-m', '755', '--', folder]) });
        const plan = await planFileContent(ctx, { path: file, content });
        steps.push(...plan.steps);
        diffs.push(...(plan.diffs ?? []));
      }
    }
    if (args.persistent === 'absent') {
      for (const file of [loadFile, optionsFile]) {
        const current = await ctx.readFile(file);
        if (current !== null) {
          steps.push({ kind: 'command', description: `remove ${file}`, command: quoteArgs(['rm', '-f', '--', file]) });
          diffs.push({ path: file, before: current.toString('utf8'), after: '' });
        }
      }
    }
    return { steps, result: { name, params, state: args.state }, ...(diffs.length && { diffs }) };
  },
});
