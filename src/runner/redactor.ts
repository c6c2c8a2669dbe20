/**
 * Keeps secrets out of every output. The runner registers each secret it
 * learns (inventory passwords, become passwords, module secret arguments,
 * no_log values); swarm join tokens and unlock keys are recognised by their shape. Every
 * event passes through redactEvent() before any reporter sees it, and the
 * CLI passes error messages through redactText().
 */
import type { RunnerEvent } from './events.js';

export const REDACTED = '********';
const JOIN_TOKEN = /SWMTKN-1-[0-9a-z]+-[0-9a-z]+/gi;
/** An autolocked swarm's unlock key, as `docker swarm unlock-key` prints it (base64). */
const UNLOCK_KEY = /SWMKEY-1-[0-9a-z+/=]+/gi;
/** Shorter strings would blank out ordinary words ("root", "yes"). */
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: unknown): void {
    if (typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH) this.secrets.add(secret);
    else if (typeof secret === 'number') this.add(String(secret));
  }

  /** Registers every string inside a value (a no_log result, a secret argument given as a mapping). */
  addDeep(value: unknown): void {
    if (typeof value === 'string' || typeof value === 'number') this.add(value);
    else if (Array.isArray(value)) value.forEach((v) => this.addDeep(v));
    else if (value && typeof value === 'object') Object.values(value).forEach((v) => this.addDeep(v));
  }

  redactText(text: string): string {
    let out = text.replace(JOIN_TOKEN, REDACTED).replace(UNLOCK_KEY, REDACTED);
    // Longest first, so a secret that contains another is blanked whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redactText(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object' && !(value instanceof Buffer)) {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) out[key] = this.redactValue(v);
      return out as T;
    }
    return value;
  }

  redactEvent(event: RunnerEvent): RunnerEvent {
    return this.redactValue(event);
  }
}

/**
 * For text the runner has not vetted (a snippet of a broken inventory or
 * playbook in an error message): blank the value of any key that names a
 * secret, as in `ansible_password: s3cret` or `token=...`.
 */
export function redactSecretAssignments(text: string): string {
  return text
    .replace(JOIN_TOKEN, REDACTED)
    .replace(UNLOCK_KEY, REDACTED)
    .replace(/((?:password|passwd|pass|secret|token)[A-Za-z_]*["']?\s*[:=]\s*)(["']?)[^\s"',}]+\2/gi, `$1$2${REDACTED}$2`);
}
