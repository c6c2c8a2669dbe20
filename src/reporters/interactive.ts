/**
 * The terminal view: an ora spinner while hosts are being reached, then a
 * listr2 task list in which each playbook task shows every host's state
 * live. Playbook tasks arrive as events, and listr2 wants promises, so each
 * task becomes a one-task Listr whose promise settles when every host has
 * reported; the lists run one after another so their output never mixes.
 */
import { Listr, type ListrTaskWrapper } from 'listr2';
import ora, { type Ora } from 'ora';
import type { RunnerEvent, HostStatus } from '../runner/events.js';
import { banner, recapLines, resultLine, unifiedDiff } from './format.js';

type HostResult = Extract<RunnerEvent, { event: 'host_result' }>;

interface LiveTask {
  title: string;
  hosts: string[];
  states: Map<string, HostResult>;
  done: () => void;
  wrapper?: ListrTaskWrapper<unknown, never, never>;
  promise: Promise<void>;
}

const SYMBOL: Record<HostStatus, string> = {
  ok: 'ok', changed: 'changed', failed: 'FAILED', skipped: 'skipping', unreachable: 'UNREACHABLE',
};

export class InteractiveReporter {
  private chain: Promise<void> = Promise.resolve();
  private current?: LiveTask;
  private spinner?: Ora;

  constructor(private readonly verbose = false) {}

  private print(text: string): void {
    this.chain = this.chain.then(() => { process.stdout.write(`${text}\n`); });
  }

  private render(task: LiveTask): void {
    if (!task.wrapper) return;
    const lines: string[] = [];
    for (const host of task.hosts) {
      const state = task.states.get(host);
      lines.push(state ? `${SYMBOL[state.status]}: [${host}]${state.msg && state.status !== 'ok' && state.status !== 'changed' ? ` ${state.msg.split('\n')[0]}` : ''}` : `...: [${host}]`);
    }
    task.wrapper.output = lines.join('\n');
  }

  private finishCurrent(): void {
    this.current?.done();
    this.current = undefined;
  }

  private startTask(title: string, hosts: string[]): void {
    this.finishCurrent();
    let done!: () => void;
    const promise = new Promise<void>((resolve) => { done = resolve; });
    const live: LiveTask = { title, hosts, states: new Map(), done, promise };
    this.current = live;
    const list = new Listr([{
      title,
      task: async (_ctx, wrapper) => {
        live.wrapper = wrapper as never;
        this.render(live);
        await live.promise;
        this.render(live);
        const statuses = [...live.states.values()].map((s) => s.status);
        const failed = statuses.some((s) => (s === 'failed' || s === 'unreachable'));
        wrapper.title = `${title} (${summarise(statuses)})`;
        if (failed && ![...live.states.values()].every((s) => s.ignored || (s.status !== 'failed' && s.status !== 'unreachable'))) {
          throw new Error(`${title}: failed on ${[...live.states.values()].filter((s) => s.status === 'failed' || s.status === 'unreachable').map((s) => s.host).join(', ')}`);
        }
      },
      rendererOptions: { persistentOutput: true, outputBar: Infinity },
    }], { exitOnError: false, renderer: 'default', rendererOptions: { collapseErrors: false } });
    this.chain = this.chain.then(() => list.run().then(() => undefined, () => undefined));
  }

  onEvent = (e: RunnerEvent): void => {
    switch (e.event) {
      case 'playbook_start':
        if (e.checkMode) this.print('Check mode: nothing will be changed.');
        break;
      case 'play_start':
        this.finishCurrent();
        this.print(banner(`PLAY [${e.name}]`));
        this.chain = this.chain.then(() => {
          if (e.hosts.length) this.spinner = ora(`Connecting to ${e.hosts.length} host(s)`).start();
        });
        break;
      case 'task_start':
        this.chain = this.chain.then(() => { this.spinner?.stop(); this.spinner = undefined; });
        this.startTask(`${e.handler ? 'handler: ' : ''}${e.name}`, e.hosts);
        break;
      case 'host_result': {
        const live = this.current;
        if (live) {
          live.states.set(e.host, e);
          this.render(live);
          if (live.hosts.every((h) => live.states.has(h))) this.finishCurrent();
        }
        if (e.status === 'failed' || e.status === 'unreachable' || this.verbose) this.deferredLines.push(resultLine(e, this.verbose));
        for (const diff of e.diffs ?? []) this.deferredLines.push(unifiedDiff(diff));
        break;
      }
      case 'warning':
        this.print(`[WARNING]: ${e.msg}`);
        break;
      case 'no_hosts_matched':
        this.print(`skipping: no hosts matched the pattern '${e.pattern}'`);
        break;
      case 'recap':
        this.finishCurrent();
        this.chain = this.chain.then(() => { this.spinner?.stop(); });
        if (this.deferredLines.length) this.print(['', ...this.deferredLines].join('\n'));
        this.print('');
        if (e.interrupted) this.print('Interrupted: the recap so far.');
        this.print(recapLines(e.hosts, e.elapsedMs).join('\n'));
        break;
      default:
        break;
    }
  };

  /** Details (failure messages, diffs) printed after the live list, where they cannot be overdrawn. */
  private readonly deferredLines: string[] = [];

  async close(): Promise<void> {
    this.finishCurrent();
    await this.chain;
  }
}

function summarise(statuses: HostStatus[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s} ${n}`).join(', ');
}
