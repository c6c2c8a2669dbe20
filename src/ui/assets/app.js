// swarmplay ui: renders the state the server streams (server-sent events).
// Every value from the swarm goes into the page as text (append/textContent),
// never as HTML, so a label holding "<script>" shows as those characters.

const $ = (id) => document.getElementById(id);
let last = null;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'data') for (const [name, v] of Object.entries(value)) node.dataset[name] = String(v);
    else if (key === 'colour') node.style.setProperty('--service-colour', value);
    else if (key === 'title') node.title = String(value);
    else if (key === 'colspan') node.colSpan = value;
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A colour per service: golden-angle steps over the sorted names keep neighbours apart. */
let serviceOrder = new Map();
function colourOf(name) {
  const index = serviceOrder.get(name) ?? 0;
  return `hsl(${Math.round(index * 137.508) % 360} 62% 46%)`;
}

function ago(iso) {
  if (!iso) return '';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function bytes(n) {
  if (!n) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

const STATE_CLASS = { running: 'good', ready: 'good', active: 'good', reachable: 'good', complete: 'good', completed: 'good',
  failed: 'bad', rejected: 'bad', down: 'bad', unreachable: 'bad', disconnected: 'bad', orphaned: 'bad', 'not answering': 'bad', lost: 'bad' };
const badge = (text, kind = STATE_CLASS[text]) => el('span', { class: `badge ${kind ?? 'warn'}` }, text);
const labels = (record) => Object.entries(record ?? {}).map(([k, v]) => el('span', { class: 'label' }, v === '' ? k : `${k}=${v}`));

function taskCard(task) {
  const history = task.history ?? [];
  return el('div', { class: `card ${task.state}`, colour: colourOf(task.service), data: { service: task.service, state: task.state, desired: task.desiredState, task: task.id } },
    el('div', { class: 'title' }, task.slot !== undefined ? `${task.service}.${task.slot}` : task.service),
    el('div', { class: 'state' }, `${task.image} · `, badge(task.state), task.since ? ` ${ago(task.since)}` : '',
      task.desiredState !== 'running' ? ` (ended, desired ${task.desiredState})` : ''),
    task.error ? el('div', { class: 'error' }, task.error) : null,
    history.length ? el('ol', { class: 'history' }, history.slice(0, 5).map((old) =>
      el('li', {}, `${old.state} ${ago(old.since)} · ${old.tag}${old.node && old.node !== task.node ? ` · on ${old.node}` : ''}`,
        old.error ? el('div', { class: 'error' }, old.error) : null))) : null);
}

function nodeColumn(node, engine) {
  const down = node.state !== 'ready' || engine === 'not answering';
  const role = node.role === 'manager' ? (node.leader ? 'manager · leader' : `manager · ${node.reachability ?? 'unknown'}`) : 'worker';
  return el('div', { class: `node${down ? ' down' : ''}`, data: { node: node.hostname, state: down ? 'down' : node.state, labels: Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join('\n') } },
    el('h3', {}, el('span', {}, node.hostname), el('span', {}, badge(down ? 'down' : node.state))),
    el('div', { class: 'meta' },
      el('div', {}, role, ' · ', node.availability),
      engine === 'not answering' ? el('div', {}, badge('engine not answering', 'bad')) : null,
      el('div', {}, `${node.addr} · docker ${node.engineVersion}`),
      el('div', {}, `${node.cpus} CPU · ${bytes(node.memoryBytes)}`),
      // The text is the one `swarmplay status` shows (reporters/cluster-view.ts certificateView).
      node.certificate ? el('div', { class: 'certificate', data: { expires: node.certificate.expires ?? '' } }, 'certificate expires ',
        node.certificate.warn ? badge(node.certificate.text, 'bad') : node.certificate.text) : null,
      Object.keys(node.labels).length ? el('div', {}, 'labels ', labels(node.labels)) : null,
      Object.keys(node.engineLabels).length ? el('div', {}, 'engine ', labels(node.engineLabels)) : null),
    node.tasks.map(taskCard),
    node.ended.map(taskCard));
}

function fillSelect(select, values) {
  const chosen = select.value;
  const wanted = ['', ...values];
  if ([...select.options].map((o) => o.value).join('\n') !== wanted.join('\n')) {
    select.replaceChildren(...wanted.map((value) => el('option', {}, value === '' ? 'all' : value)));
    [...select.options].forEach((option, i) => { option.value = wanted[i]; });
  }
  select.value = wanted.includes(chosen) ? chosen : '';
}

function applyFilters() {
  const service = $('filter-service').value;
  const label = $('filter-label').value;
  for (const card of document.querySelectorAll('.card')) card.classList.toggle('hidden', service !== '' && card.dataset.service !== service);
  for (const node of document.querySelectorAll('.node')) node.classList.toggle('hidden', label !== '' && !node.dataset.labels.split('\n').includes(label));
  for (const row of document.querySelectorAll('#services tbody tr')) row.hidden = service !== '' && row.dataset.service !== service;
}

function render(state) {
  last = state;
  const view = state.view;
  const source = $('source');
  source.className = `source ${state.source.live ? 'live' : 'stale'}`;
  source.textContent = state.source.manager
    ? `via ${state.source.manager}${state.source.live ? ' · live' : ' · not live'}${view ? ` · read ${ago(view.takenAt)} ago` : ''}`
    : 'connecting…';
  $('problem').hidden = !state.source.error;
  $('problem').textContent = state.source.error ?? '';

  const quorum = $('quorum');
  const lostNow = /does not have a leader|quorum/i.test(state.source.error ?? '');
  if (view || lostNow) {
    const q = view?.quorum ?? { managers: 0, reachable: 0, tolerates: 0 };
    const warning = lostNow ? 'lost' : q.warning;
    quorum.hidden = false;
    quorum.className = `banner${warning === 'lost' ? ' bad' : warning === 'even' ? ' warn' : ''}`;
    quorum.replaceChildren(
      `${q.managers} manager${q.managers === 1 ? '' : 's'}, ${q.reachable} reachable: the swarm tolerates ${q.tolerates} manager failure${q.tolerates === 1 ? '' : 's'}`,
      warning === 'even' ? ` · an even count: ${q.managers} managers tolerate no more failures than ${q.managers - 1} would; use an odd number` : '',
      warning === 'lost' ? ' · quorum lost: no change can be made until a majority of managers is back' : '');
  }
  if (!view) return;

  serviceOrder = new Map(view.services.map((s, index) => [s.name, index]));
  fillSelect($('filter-service'), view.services.map((s) => s.name));
  fillSelect($('filter-label'), [...new Set(view.nodes.flatMap((n) => Object.entries(n.labels).map(([k, v]) => `${k}=${v}`)))].sort());

  $('board').replaceChildren(...view.nodes.map((node) => nodeColumn(node, state.engines[node.hostname])));
  $('unassigned').hidden = view.unassigned.length === 0;
  $('unassigned').replaceChildren(el('h2', {}, 'Not placed on any node'), view.unassigned.map(taskCard));

  $('services').tBodies[0].replaceChildren(...view.services.map((s) => {
    const complete = s.replicas.running === s.replicas.desired;
    return el('tr', { data: { service: s.name } },
      el('td', {}, el('span', { class: 'swatch', colour: colourOf(s.name) }), s.name),
      el('td', {}, s.mode),
      el('td', {}, badge(`${s.replicas.running}/${s.replicas.desired}`, complete ? 'good' : s.replicas.running === 0 ? 'bad' : 'warn')),
      el('td', { class: 'image', title: s.imageRef }, s.image, s.digest ? el('div', { class: 'dim' }, s.digest.slice(0, 19)) : null),
      el('td', {}, s.ports.join(', ') || '-'),
      el('td', {}, s.updateStatus ? badge(s.updateStatus, /rollback|paused/.test(s.updateStatus) ? 'warn' : 'good') : '-',
        s.updateMessage ? el('div', { class: 'dim' }, s.updateMessage) : null,
        s.errors.map((error) => el('div', { class: 'error' }, error))),
      el('td', {}, labels(s.labels)));
  }));

  const registry = state.registry;
  $('registry-address').textContent = registry?.address ?? '';
  $('registry').replaceChildren(!registry ? 'no registry' : registry.error ? el('span', { class: 'error' }, registry.error)
    : !registry.repositories ? 'reading…'
    : el('ul', {}, registry.repositories.map((repo) => el('li', {}, el('b', {}, repo.name), ' ', repo.tags.map((tag) => el('span', { class: 'label' }, tag))))));

  const run = state.lastRun;
  $('last-run').replaceChildren(!run ? 'no run recorded for this inventory yet'
    : el('div', {},
      el('div', {}, run.playbook.split('/').slice(-2).join('/'), ` · ${ago(run.finishedAt)} ago · exit `, badge(String(run.exitCode), run.exitCode === 0 ? 'good' : 'bad'), run.checkMode ? ' · check mode' : ''),
      el('table', {}, el('tr', {}, ['host', 'ok', 'changed', 'unreachable', 'failed', 'skipped'].map((h) => el('th', {}, h))),
        Object.entries(run.recap).map(([host, c]) => el('tr', {}, el('td', {}, host), [c.ok, c.changed, c.unreachable, c.failed, c.skipped].map((n) => el('td', {}, n)))))));
  applyFilters();
}

$('filter-service').addEventListener('change', applyFilters);
$('filter-label').addEventListener('change', applyFilters);

// The state at once, then every change as it happens.
fetch('/state').then((response) => response.json()).then((state) => { if (!last) render(state); }, () => {});
const stream = new EventSource('/events');
stream.onmessage = (message) => render(JSON.parse(message.data));
stream.onerror = () => {
  const source = $('source');
  source.className = 'source stale';
  source.textContent = 'the swarmplay ui server does not answer: reconnecting…';
};
// The "how long" figures move on even when nothing changes.
setInterval(() => { if (last) render(last); }, 10_000);
