/**
 * The PLAY RECAP counts, kept the way ansible-playbook keeps them (checked
 * against ansible-core 2.14): "ok" also counts changed results; an ignored
 * failure counts as ok and ignored (and changed when its result changed); a
 * failure inside a block that has a rescue section is not counted as failed,
 * the rescue is counted as rescued instead.
 */
import type { HostStatus, RecapCounts } from './events.js';

export function emptyCounts(): RecapCounts {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

export class Recap {
  private readonly counts = new Map<string, RecapCounts>();

  private of(host: string): RecapCounts {
    let counts = this.counts.get(host);
    if (!counts) {
      counts = emptyCounts();
      this.counts.set(host, counts);
    }
    return counts;
  }

  /** Makes the host appear in the recap even if nothing ran on it. */
  touch(host: string): void {
    this.of(host);
  }

  record(host: string, status: HostStatus, failure: 'counted' | 'ignored' | 'rescuable' = 'counted', changed = false): void {
    const counts = this.of(host);
    switch (status) {
      case 'ok':
        counts.ok++;
        break;
      case 'changed':
        counts.ok++;
        counts.changed++;
        break;
      case 'skipped':
        counts.skipped++;
        break;
      case 'unreachable':
        counts.unreachable++;
        break;
      case 'failed':
        if (failure === 'ignored') {
          counts.ok++;
          counts.ignored++;
          if (changed) counts.changed++;
        } else if (failure === 'counted') {
          counts.failed++;
        }
        break;
    }
  }

  /** A block failed on the host and its rescue section starts. */
  rescued(host: string): void {
    this.of(host).rescued++;
  }

  snapshot(): Record<string, RecapCounts> {
    const out: Record<string, RecapCounts> = {};
    for (const host of [...this.counts.keys()].sort()) out[host] = { ...this.of(host) };
    return out;
  }
}
