/**
 * The cluster as the walkthrough's visualizer page shows it (section 6): every node
 * with its role, availability, state and labels and the tasks it runs, and
 * every service with its replicas running/desired. Pure: a snapshot in, a
 * view (plain data, what `swarmplay status --json` prints) and text out.
 *
 * One line per node, the tasks grouped by service and image tag ("web:latest
 * ×2"), so 50 nodes stay 50 lines; on a terminal the tasks column is cut to
 * the width, piped output is never cut (grep sees everything).
 */
import { styleText as nodeStyleText } from 'node:util';
import type { ClusterSnapshot } from '../facts/cluster-snapshot.js';
import type { PublishedPort, TaskLine } from '../facts/swarm-service.js';

export type { ClusterSnapshot };

export interface TaskView {
  id: string;
  service: string;
  /** "testnginx:2.0": the image without registry and digest. */
  image: string;
  tag: string;
  state: string;
  /** Hostname of the node it was given to; "" when none yet. */
  node: string;
  desiredState: string;
  /** When it entered its state, from docker's "Running 3 minutes ago" (to that text's precision). */
  since?: string;
  slot?: number;
  error?: string;
  /** Read with history only: the slot's earlier tasks, newest first (failed, rejected, shut down). */
  history?: TaskView[];
}

export interface NodeView {
  hostname: string;
  id: string;
  role: 'manager' | 'worker';
  leader: boolean;
  availability: string;
  state: string;
  addr: string;
  labels: Record<string, string>;
  /** Managers only: reachable | unreachable | unknown. */
  reachability?: string;
  engineVersion: string;
  engineLabels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  /**
   * The node's swarm certificate: notAfter (ISO, null: unknown), and the text
   * status and the page show ("2027-03-03 (89 days)"), warned under 30 days.
   * Absent when not read.
   */
  certificate?: CertificateView;
  /** The tasks swarm wants running here. */
  tasks: TaskView[];
  /** Read with history only: tasks that ended in failure here and were not replaced by a running one (their error stays visible). */
  ended: TaskView[];
}

export interface CertificateView {
  expires: string | null;
  text: string;
  warn: boolean;
}

export interface ServiceView {
  name: string;
  mode: 'replicated' | 'global';
  image: string;
  /** As stored: registry, repository, tag and the digest the client pinned. */
  imageRef: string;
  digest?: string;
  replicas: { running: number; desired: number };
  ports: string[];
  updateStatus: string | null;
  updateMessage?: string;
  labels: Record<string, string>;
  /** Errors of its tasks that are not running (pending, rejected...). */
  errors: string[];
}

export interface ClusterView {
  manager: string;
  takenAt: string;
  nodes: NodeView[];
  services: ServiceView[];
  /** Tasks no node took yet (pending: "no suitable node ..."). */
  unassigned: TaskView[];
  quorum: QuorumView;
}

export interface QuorumView {
  managers: number;
  reachable: number;
  /** How many managers may fail with the quorum kept: (managers - 1) / 2, rounded down. */
  tolerates: number;
  /** even: an even count tolerates no more failures than one manager fewer; lost: no majority reachable. */
  warning?: 'even' | 'lost';
}

/** Raft needs a majority of the managers. */
export function quorumOf(nodes: readonly { role: string; reachability?: string }[]): QuorumView {
  const managers = nodes.filter((node) => node.role === 'manager');
  const reachable = managers.filter((node) => node.reachability === 'reachable').length;
  const tolerates = Math.max(0, Math.floor((managers.length - 1) / 2));
  const warning = managers.length > 0 && reachable <= managers.length / 2 ? 'lost' as const
    : managers.length > 0 && managers.length % 2 === 0 ? 'even' as const : undefined;
  return { managers: managers.length, reachable, tolerates, ...(warning && { warning }) };
}

const UNIT_MS: Record<string, number> = {
  second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000, month: 2_592_000_000, year: 31_536_000_000,
};

/** "Running 3 minutes ago", "Failed about an hour ago", "Rejected less than a second ago" -> when, relative to takenAt. */
export function sinceOf(currentState: string, takenAt: Date): string | undefined {
  const match = /(less than a|about an?|an?|\d+) (second|minute|hour|day|week|month|year)s? ago$/i.exec(currentState.trim());
  if (!match) return undefined;
  const amount = /^less/i.test(match[1]!) ? 0 : /^\d+$/.test(match[1]!) ? Number(match[1]) : 1;
  return new Date(takenAt.getTime() - amount * UNIT_MS[match[2]!.toLowerCase()]!).toISOString();
}

/** "10.0.0.1:5000/testnginx:2.0@sha256:..." -> "testnginx:2.0". */
export function shortImage(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const name = withoutDigest.slice(lastSlash + 1);
  return name.includes(':') ? name : `${name}:latest`;
}

/** "web.3" -> "web"; "glob.o0xertcphw8k..." -> "glob". */
export function serviceOfTask(taskName: string): string {
  const dot = taskName.lastIndexOf('.');
  return dot > 0 ? taskName.slice(0, dot) : taskName;
}

function portText(port: PublishedPort): string {
  return `${port.published}->${port.target}/${port.protocol}${port.mode === 'host' ? ' host' : ''}`;
}

function taskView(task: TaskLine, takenAt: Date): TaskView {
  const image = shortImage(task.image);
  const since = sinceOf(task.currentState, takenAt);
  return {
    id: task.id,
    service: serviceOfTask(task.name),
    image,
    tag: image.slice(image.lastIndexOf(':') + 1),
    state: task.state,
    node: task.node,
    desiredState: task.desiredState,
    ...(since && { since }),
    ...(task.slot !== undefined && { slot: task.slot }),
    ...(task.error && { error: task.error }),
  };
}

const ENDED_BADLY = new Set(['failed', 'rejected', 'orphaned']);

/** A replicated task's slot, or a global task's node: where a task and the ones it replaced belong together. */
function placeOf(task: TaskLine): string {
  return `${serviceOfTask(task.name)}\u0000${task.slot ?? task.node}`;
}

const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const byServiceAndSlot = (a: TaskView, b: TaskView) => byName(a.service, b.service) || (a.slot ?? 0) - (b.slot ?? 0);

/** `certificates`: per node hostname, its certificate expiry (runner/cluster-reader.ts NodeCertificateReader); a node left out shows none. */
const DAY_MS = 86_400_000;
/** Under this many days left, the expiry is shown as a warning. */
export const CERTIFICATE_WARN_DAYS = 30;

/** "2027-03-03 (89 days)", warned under 30 days; "unknown" when it could not be read. */
export function certificateView(expires: string | null, takenAt: Date): CertificateView {
  if (!expires) return { expires: null, text: 'unknown', warn: false };
  const days = Math.floor((Date.parse(expires) - takenAt.getTime()) / DAY_MS);
  const left = days < 0 ? 'expired' : `${days} day${days === 1 ? '' : 's'} left`;
  return { expires, text: `${expires.slice(0, 10)} (${left})`, warn: days < CERTIFICATE_WARN_DAYS };
}

export function clusterView(snapshot: ClusterSnapshot, certificates?: Record<string, string | null>): ClusterView {
  const tasksByNode = new Map<string, TaskView[]>();
  const endedByNode = new Map<string, TaskView[]>();
  const unassigned: TaskView[] = [];
  const current = snapshot.tasks.filter((task) => task.desiredState === 'running');
  // Older tasks by place, newest first (docker lists a slot's tasks newest first).
  const older = new Map<string, TaskView[]>();
  for (const task of snapshot.tasks) {
    if (task.desiredState === 'running') continue;
    const key = placeOf(task);
    older.set(key, [...(older.get(key) ?? []), taskView(task, snapshot.takenAt)]);
  }
  const placed = new Set<string>();
  for (const task of current) {
    const history = older.get(placeOf(task));
    placed.add(placeOf(task));
    const view = { ...taskView(task, snapshot.takenAt), ...(history && { history }) };
    if (!task.node) unassigned.push(view);
    else tasksByNode.set(task.node, [...(tasksByNode.get(task.node) ?? []), view]);
  }
  // A place whose newest task failed and has no running successor (a scaled-down or rolled-back slot): kept with its error.
  for (const [key, [newest, ...rest]] of older) {
    if (placed.has(key) || !newest || !(ENDED_BADLY.has(newest.state) || newest.error)) continue;
    const view = { ...newest, ...(rest.length && { history: rest }) };
    if (newest.node) endedByNode.set(newest.node, [...(endedByNode.get(newest.node) ?? []), view]);
  }
  const nodes = [...snapshot.nodes].sort((a, b) => byName(a.hostname, b.hostname)).map((node): NodeView => ({
    hostname: node.hostname,
    id: node.id,
    role: node.role,
    leader: node.leader,
    availability: node.availability,
    state: node.status,
    addr: node.addr,
    labels: node.labels,
    ...(node.reachability && { reachability: node.reachability }),
    engineVersion: node.engineVersion,
    engineLabels: node.engineLabels,
    cpus: node.nanoCpus / 1e9,
    memoryBytes: node.memoryBytes,
    ...(certificates && node.hostname in certificates && { certificate: certificateView(certificates[node.hostname] ?? null, snapshot.takenAt) }),
    tasks: (tasksByNode.get(node.hostname) ?? []).sort(byServiceAndSlot),
    ended: (endedByNode.get(node.hostname) ?? []).sort(byServiceAndSlot),
  }));
  const services = [...snapshot.services].sort((a, b) => byName(a.name, b.name)).map((service): ServiceView => {
    const tasks = current.filter((task) => serviceOfTask(task.name) === service.name);
    const digest = /@(sha256:[0-9a-f]+)$/.exec(service.image)?.[1];
    const errors = [...new Set(tasks.filter((task) => task.state !== 'running' && task.error).map((task) => task.error))];
    return {
      name: service.name,
      mode: service.mode,
      image: shortImage(service.image),
      imageRef: service.image,
      ...(digest && { digest }),
      replicas: {
        running: tasks.filter((task) => task.state === 'running').length,
        desired: service.mode === 'replicated' ? service.replicas ?? 0 : tasks.length,
      },
      ports: service.publish.map(portText),
      updateStatus: service.updateStatus?.state ?? null,
      ...(service.updateStatus?.message && { updateMessage: service.updateStatus.message }),
      labels: service.labels,
      errors,
    };
  });
  return { manager: snapshot.manager, takenAt: snapshot.takenAt.toISOString(), nodes, services, unassigned, quorum: quorumOf(snapshot.nodes) };
}

export interface FormatOptions {
  color: boolean;
  /** Terminal columns: the tasks column is cut to fit. Undefined: never cut. */
  width?: number;
}

type Style = Parameters<typeof nodeStyleText>[0];

/** Colours whenever asked: whether to colour at all is FormatOptions.color (node would otherwise look at process.stdout). */
function styleText(style: Style, text: string): string {
  return nodeStyleText(style, text, { validateStream: false });
}

/** Groups a node's tasks: "web:latest ×2", "newnginx:2.0 starting". */
export function taskGroups(tasks: readonly TaskView[]): { text: string; state: string }[] {
  const groups = new Map<string, { text: string; state: string; count: number }>();
  for (const task of tasks) {
    const key = `${task.service}:${task.tag}\u0000${task.state}`;
    const group = groups.get(key) ?? { text: `${task.service}:${task.tag}`, state: task.state, count: 0 };
    group.count++;
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => ({
    text: `${group.text}${group.count > 1 ? ` ×${group.count}` : ''}${group.state === 'running' ? '' : ` ${group.state}`}`,
    state: group.state,
  }));
}

function visibleLength(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

function stateStyle(state: string): Style {
  if (state === 'running' || state === 'ready' || state === 'active') return 'green';
  if (['failed', 'rejected', 'down', 'disconnected', 'orphaned'].includes(state)) return 'red';
  return 'yellow';
}

function labelsText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length ? entries.map(([key, value]) => `${key}=${value}`).join(',') : '-';
}

/** A cell: its text, and the same text with colours (escape codes) for a terminal. */
interface Cell {
  text: string;
  styled?: string;
}

function cell(text: string, style?: Style): Cell {
  return style ? { text, styled: styleText(style, text) } : { text };
}

/**
 * Aligned columns, widths from the plain text. The last column is cut to the
 * terminal width when `options.width` is set; a cut cell loses its colours
 * (cutting through escape codes would break the line).
 */
function table(rows: Cell[][], options: FormatOptions): string[] {
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: columns - 1 }, (_, column) => Math.max(...rows.map((row) => visibleLength(row[column]?.text ?? ''))));
  const leading = widths.reduce((sum, width) => sum + width + 2, 0);
  return rows.map((row) => row.map((entry, column) => {
    const shown = options.color && entry.styled !== undefined ? entry.styled : entry.text;
    if (column < columns - 1) return shown + ' '.repeat(widths[column]! - visibleLength(entry.text));
    if (options.width === undefined) return shown;
    const room = Math.max(10, options.width - leading);
    return visibleLength(entry.text) <= room ? shown : cut(entry.text, room);
  }).join('  ').trimEnd());
}

export function formatClusterView(view: ClusterView, options: FormatOptions): string {
  const color = (style: Style, text: string) => (options.color ? styleText(style, text) : text);
  const running = view.services.reduce((sum, service) => sum + service.replicas.running, 0);
  const desired = view.services.reduce((sum, service) => sum + service.replicas.desired, 0);
  const lines: string[] = [];
  lines.push(color('bold', `swarm via ${view.manager} at ${view.takenAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`) +
    ` · ${view.nodes.length} node${view.nodes.length === 1 ? '' : 's'} · ${view.services.length} service${view.services.length === 1 ? '' : 's'}` +
    ` · ${running}/${desired} tasks running`);
  lines.push('');

  const tasksCell = (tasks: readonly TaskView[]): Cell => {
    const groups = taskGroups(tasks);
    if (groups.length === 0) return { text: '-' };
    return {
      text: groups.map((group) => group.text).join(' · '),
      styled: groups.map((group) => (group.state === 'running' ? group.text : styleText(stateStyle(group.state), group.text))).join(' · '),
    };
  };
  const header = (names: string[]) => names.map((name) => cell(name, 'dim'));
  // The certificate column only when the expiries were read (the tasks stay last: they are cut to the width).
  const withCertificates = view.nodes.some((node) => node.certificate);
  const certificateCell = (node: NodeView): Cell[] => {
    if (!withCertificates) return [];
    const certificate = node.certificate ?? certificateView(null, new Date(view.takenAt));
    return [cell(certificate.text, certificate.warn ? 'red' : certificate.expires ? undefined : 'yellow')];
  };
  const nodeRows: Cell[][] = [header(['NODE', 'ROLE', 'AVAILABILITY', 'STATE', 'LABELS', ...(withCertificates ? ['CERT EXPIRES'] : []), 'TASKS'])];
  for (const node of view.nodes) {
    nodeRows.push([
      cell(node.hostname, node.leader ? 'bold' : undefined),
      cell(node.role === 'manager' ? (node.leader ? 'manager*' : 'manager') : 'worker'),
      cell(node.availability, stateStyle(node.availability)),
      cell(node.state, stateStyle(node.state)),
      cell(labelsText(node.labels)),
      ...certificateCell(node),
      tasksCell(node.tasks),
    ]);
  }
  if (view.unassigned.length) {
    nodeRows.push([cell('(no node)', 'yellow'), cell(''), cell(''), cell(''), cell(''), ...(withCertificates ? [cell('')] : []), tasksCell(view.unassigned)]);
  }
  lines.push(...table(nodeRows, options));
  if (view.nodes.length === 0) lines.push('(no nodes: is this host a swarm manager?)');
  lines.push('');

  if (view.services.length > 0) {
    const serviceRows: Cell[][] = [header(['SERVICE', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS', 'UPDATE'])];
    for (const service of view.services) {
      const { running: up, desired: wanted } = service.replicas;
      const update = service.updateStatus ?? '-';
      serviceRows.push([
        cell(service.name),
        cell(service.mode),
        cell(`${up}/${wanted}`, up === wanted ? 'green' : up === 0 ? 'red' : 'yellow'),
        cell(service.image),
        cell(service.ports.join(', ') || '-'),
        cell(update, /paused|rollback/.test(update) ? 'yellow' : undefined),
      ]);
    }
    lines.push(...table(serviceRows, { ...options, width: undefined }));
  } else {
    lines.push('(no services)');
  }
  const failing = view.services.filter((service) => service.errors.length);
  if (failing.length) {
    lines.push('');
    for (const service of failing) lines.push(color('red', `${service.name}: ${service.errors.join('; ')}`));
  }
  return `${lines.join('\n')}\n`;
}
