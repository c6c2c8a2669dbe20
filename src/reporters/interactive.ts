/**
 * The terminal view: an ora spinner while hosts are being reached, then a
 * listr2 task list in which each playbook task shows every host's state
 * live, one line per host, folded into the task's line once it is done.
 * Playbook tasks arrive as events and listr2 wants promises, so each task
 * becomes a one-task Listr with a subtask per host whose promise settles
 * when that host reports; the lists run one after another so their output
 * never mixes.
 */
import { Listr } from 'listr2';
import ora, { type Ora } from 'ora';
import type { RunnerEvent, HostStatus } from '../runner/events.js';
import { banner, recapLines, resultLine, unifiedDiff } from './format.js';
import { suspendableRendererFor, TerminalHold } from './suspendable-renderer.js';

type HostResult = Extract<RunnerEvent, { event: 'host_result' }>;

interface LiveTask {
  title: string;
  hosts: string[];
  states: Map<string, HostResult>;
  /** Settles each host's line when its result arrives. */
  hostDone: Map<string, () => void>;
  hostWait: Map<string, Promise<void>>;
  /** Shows what a host's waiting step sees meanwhile on its line. */
  hostProgress: Map<string, (message: string) => void>;
}

const LABEL: Record<HostStatus, string> = {
  ok: 'ok', changed: 'changed', failed: 'FAILED', skipped: 'skipping', unreachable: 'UNREACHABLE',
};

export class InteractiveReporter {
  private chain: Promise<void> = Promise.resolve();
  private current?: LiveTask;
  private spinner?: Ora;
  private currentModule = '';
  /** While a question (pause) waits on the terminal, nothing is drawn. */
  private readonly terminal = new TerminalHold();
  private readonly renderer = suspendableRendererFor(this.terminal);

  constructor(private readonly verbose = false) {}

  private print(text: string): void {
    this.chain = this.chain.then(() => { process.stdout.write(`${text}\n`); });
  }

  private finishCurrent(): void {
    // A task whose remaining hosts never report (interrupted run) must not hold the list open.
    for (const done of this.current?.hostDone.values() ?? []) done();
    this.current = undefined;
  }

  private startTask(title: string, hosts: string[]): void {
    this.finishCurrent();
    const live: LiveTask = { title, hosts, states: new Map(), hostDone: new Map(), hostWait: new Map(), hostProgress: new Map() };
    for (const host of hosts) {
      live.hostWait.set(host, new Promise<void>((resolve) => live.hostDone.set(host, resolve)));
    }
    this.current = live;
    const list = new Listr([{
      title,
      task: (_ctx, wrapper) => wrapper.newListr(hosts.map((host) => ({
        title: host,
        task: async (_c: unknown, hostTask: { title: string; skip: (msg?: string) => void }) => {
          live.hostProgress.set(host, (message) => { hostTask.title = `${host}: ${message}`; });
          await live.hostWait.get(host);
          const state = live.states.get(host);
          if (!state) return;
          const detail = state.msg && (state.status === 'failed' || state.status === 'unreachable') ? `: ${state.msg.split('\n')[0]}` : '';
          hostTask.title = `${host}: ${state.ignored ? 'failed (ignored)' : LABEL[state.status]}${detail}`;
          if (live.states.size === hosts.length) wrapper.title = `${title} (${summarise([...live.states.values()])})`;
          if (state.status === 'skipped') hostTask.skip(hostTask.title);
          else if ((state.status === 'failed' && !state.ignored) || state.status === 'unreachable') throw new Error(hostTask.title);
        },
      })), { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: true, collapseErrors: false, collapseSkips: true } }),
    }], { exitOnError: false, renderer: this.renderer, rendererOptions: { collapseErrors: false } });
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
        this.currentModule = e.module;
        this.startTask(`${e.handler ? 'handler: ' : ''}${e.name}`, e.hosts);
        break;
      case 'host_result': {
        const live = this.current;
        if (live) {
          live.states.set(e.host, e);
          live.hostDone.get(e.host)?.();
        }
        // Failures, and what debug tasks say, are kept for after the live list, where nothing overdraws them.
        const isDebugMessage = this.currentModule === 'debug' && e.msg !== undefined;
        if (e.status === 'failed' || e.status === 'unreachable' || this.verbose || isDebugMessage) this.deferredLines.push(resultLine(e, this.verbose));
        for (const diff of e.diffs ?? []) this.deferredLines.push(unifiedDiff(diff));
        break;
      }
      case 'prompt_waiting':
        // Not through the chain: the list drawing now holds the chain until its task ends.
        this.spinner?.stop();
        this.terminal.take();
        break;
      case 'prompt_answered':
        this.terminal.give();
        break;
      case 'task_progress':
        this.current?.hostProgress.get(e.host)?.(e.msg);
        break;
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

/** "changed 2, ok 1" */
function summarise(states: HostResult[]): string {
  const counts = new Map<string, number>();
  for (const st of states) {
    const label = st.ignored ? 'ignored' : st.status;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => `${label} ${n}`).join(', ');
}
