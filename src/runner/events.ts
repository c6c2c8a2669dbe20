/**
 * What the runner tells reporters. Reporters only listen; they never call
 * back into the runner. Every event passes through the redactor before any
 * reporter sees it, so secrets cannot reach an output by accident.
 */
import type { FileDiff } from '../modules/types.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type RunnerEvent =
  | { event: 'playbook_start'; file: string; checkMode: boolean }
  | { event: 'play_start'; name: string; hosts: string[] }
  | { event: 'task_start'; name: string; module: string; location: string; hosts: string[]; handler?: boolean }
  | { event: 'connecting'; hosts: string[] }
  | {
      event: 'host_result';
      task: string;
      host: string;
      status: HostStatus;
      /** Set when the failure was ignored (ignore_errors) and the run went on. */
      ignored?: boolean;
      /** Loop item label, when the task loops. */
      item?: string;
      msg?: string;
      diffs?: FileDiff[];
      /** Registered-style result; omitted (censored) for no_log tasks. */
      result?: Record<string, unknown>;
      delegatedTo?: string;
      /** The plan's steps as run, or in check mode as a real run would take them (shown with -v). */
      steps?: string[];
    }
  /** What a waiting step sees meanwhile: "newnginx: updating 2/3". */
  | { event: 'task_progress'; task: string; host: string; msg: string }
  /** A question waits on the controller's terminal (pause): live views keep quiet until it is answered. */
  | { event: 'prompt_waiting'; task: string; host: string }
  | { event: 'prompt_answered'; task: string; host: string }
  | { event: 'host_rescued'; host: string }
  | { event: 'warning'; msg: string }
  | { event: 'no_hosts_matched'; pattern: string }
  | { event: 'recap'; hosts: Record<string, RecapCounts>; elapsedMs: number; interrupted?: boolean };

export type EventListener = (event: RunnerEvent) => void;
