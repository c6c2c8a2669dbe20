/**
 * The bench in small, so that it cannot rot: bench/run.mjs on 3
 * lab hosts, one repetition, without Ansible. No timing is asserted, only
 * that the driver runs end to end, that swarmplay's first run changed every
 * task and its second run none, and that the report has its shape.
 * Needs root (the lab); fails loudly without it.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/cli.js';

const HOSTS = 3;
const TASKS = 30;

interface BenchSample {
  wallMs: number;
  cpuSeconds?: number;
  peakRssMb?: number;
  channelsPerHost?: number;
  changedTasks?: number;
}

interface BenchJson {
  machine: { cpus: number; kernel: string; versions: Record<string, string> };
  sizes: { hosts: number; samples: Record<string, BenchSample[]> }[];
}

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bench/run.mjs'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill("SIGTERM"), 220_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('bench smoke (3 lab hosts, one repetition, no Ansible)', function () {
  this.timeout(240_000);
  let dir: string;

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the bench smoke test needs root: it brings up lab hosts (network namespaces)');
    dir = await mkdtemp(path.join(os.tmpdir(), 'swarmplay-bench-smoke-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the driver end to end and writes the report and the raw figures', async () => {
    const report = path.join(dir, 'RESULTS.md');
    const raw = path.join(dir, 'results.json');
    const result = await runBench([
      '--sizes', String(HOSTS), '--reps', '1', '--ansible-reps', '0', '--no-bootstrap',
      '--lab-name', 'bsmoke', '--subnet', '10.203.71.0/24', '--out', report, '--json', raw,
    ]);
    assert.equal(result.code, 0, `bench/run.mjs failed:\n${result.stderr.slice(-3000)}`);

    const bench = JSON.parse(await readFile(raw, 'utf8')) as BenchJson;
    assert.equal(bench.machine.cpus, os.cpus().length);
    assert.ok(bench.machine.versions.node && bench.machine.versions.openssh.includes('OpenSSH'), JSON.stringify(bench.machine.versions));
    assert.equal(bench.sizes.length, 1);
    const { samples, hosts } = bench.sizes[0]!;
    assert.equal(hosts, HOSTS);
    for (const unit of ['swarmplay first', 'swarmplay second', 'swarmplay 0 tasks', 'floor ControlMaster', 'floor one script', 'node -e 0', 'swarmplay --version']) {
      assert.equal(samples[unit]?.length, 1, `one sample of ${unit}`);
      assert.ok(samples[unit]![0]!.wallMs > 0, `${unit} has a wall time`);
    }
    const first = samples['swarmplay first']![0]!;
    const second = samples['swarmplay second']![0]!;
    assert.equal(first.changedTasks, HOSTS * TASKS, 'first run: every task changed on every host');
    assert.equal(second.changedTasks, 0, 'second run: nothing changed');
    assert.ok(first.peakRssMb! > 10 && first.cpuSeconds! > 0, 'CPU and RSS measured');
    assert.ok(first.channelsPerHost! >= 1, 'SSH channels counted');
    assert.equal(samples['ansible first'], undefined, 'Ansible left out as asked');

    const text = await readFile(report, 'utf8');
    for (const heading of ['# swarmplay benchmark results', '## Machine and versions', `## ${HOSTS} hosts`, '## Performance targets']) {
      assert.ok(text.includes(heading), `report has "${heading}"`);
    }
    assert.match(text, /\| swarmplay first \| \d+\.\d\d \|/);
    assert.match(text, /\| swarmplay \/ one-script floor \| \d+\.\d+x \|/);
  });
});
