/** Plain lines in ansible-playbook's manner, for pipes and CI logs. */
import type { RunnerEvent } from '../runner/events.js';
import { banner, recapLines, resultLine, unifiedDiff } from './format.js';

export class PlainReporter {
  constructor(
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
    private readonly verbose = false,
  ) {}

  private line(text = ''): void {
    this.write(`${text}\n`);
  }

  onEvent = (e: RunnerEvent): void => {
    switch (e.event) {
      case 'playbook_start':
        if (e.checkMode) this.line('Check mode: nothing will be changed.');
        break;
      case 'play_start':
        this.line();
        this.line(banner(`PLAY [${e.name}]`));
        break;
      case 'task_start':
        this.line();
        this.line(banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.name}]`));
        break;
      case 'host_result':
        this.line(resultLine(e, this.verbose));
        if (this.verbose) for (const step of e.steps ?? []) this.line(`  step [${e.host}]: ${step}`);
        for (const diff of e.diffs ?? []) this.line(unifiedDiff(diff));
        break;
      case 'task_progress':
        if (this.verbose) this.line(`  [${e.host}] ${e.msg}`);
        break;
      case 'host_rescued':
        break;
      case 'warning':
        this.line(`[WARNING]: ${e.msg}`);
        break;
      case 'no_hosts_matched':
        this.line(`skipping: no hosts matched the pattern '${e.pattern}'`);
        break;
      case 'recap':
        this.line();
        if (e.interrupted) this.line('Interrupted: the recap so far.');
        for (const l of recapLines(e.hosts, e.elapsedMs)) this.line(l);
        break;
      default:
        break;
    }
  };

  async close(): Promise<void> {}
}
