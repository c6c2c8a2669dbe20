/**
 * `swarmplay lab up | down | status | setup`: the command line of the local
 * lab (src/lab). Prints progress and results; never prints the lab password
 * (it is in the inventory file, mode 0600).
 */
import type { Command } from 'commander';
import { SwarmplayError } from '../errors.js';
import { DEFAULT_LAB } from '../lab/defaults.js';
import type { LabStatus } from '../lab/lab.js';

/** The lab's code is loaded only by `lab` commands, so `run` starts without it. */
const loadLab = () => import('../lab/lab.js');

function hostCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > 200) {
    throw new SwarmplayError('BAD_OPTION', `--hosts must be a whole number from 1 to 200, got ${JSON.stringify(value)}`);
  }
  return count;
}

function seconds(ms: number | undefined): string {
  return `${((ms ?? 0) / 1000).toFixed(1)} s`;
}

export function formatLabStatus(status: LabStatus): string {
  const rows = [['HOST', 'ADDRESS', 'SSHD', 'DOCKERD', 'SWARM']];
  for (const host of status.hosts) {
    const swarm = host.swarm === undefined ? '-' : host.swarmRole ? `${host.swarm} (${host.swarmRole})` : host.swarm;
    rows.push([host.name, host.address, host.sshd, host.dockerd === 'absent' ? '-' : host.dockerd, swarm]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  return [
    `lab ${status.name} (${status.kind === 'bare' ? 'bare: hosts on their own Debian root' : 'shared: hosts on this machine\'s /usr'}): ` +
      `${status.subnet}, controller ${status.controllerAddress}, up since ${status.createdAt}`,
    ...(status.mirrorUrl ? [`package mirror: ${status.mirrorUrl}`] : []),
    ...table,
    ...(status.inventoryFile ? [`inventory: ${status.inventoryFile}`] : []),
  ].join('\n');
}

export function registerLabCommand(program: Command): Command {
  const lab = program
    .command('lab')
    .description('a local lab: Docker hosts with SSH, made of Linux namespaces on this machine (needs root)');

  lab
    .command('up')
    .description('bring up lab hosts (clears a stale lab of the same name first)')
    .option('--hosts <n>', 'number of hosts', hostCount, DEFAULT_LAB.hosts)
    .option('--prefix <prefix>', 'host name prefix (docker -> docker01, docker02, ...)', DEFAULT_LAB.prefix)
    .option('--subnet <cidr>', 'private subnet for the lab bridge (controller .1, hosts .11 onward)', DEFAULT_LAB.subnet)
    .option('--no-docker', 'plain SSH hosts without dockerd (fast, for benchmarks with many hosts)')
    .option('--bare', 'freshly installed Debian 12 hosts, each on its own root file system, with a package mirror on the bridge and no Docker')
    .option('--with-python', 'bare hosts with python3 (for comparisons with Ansible)')
    .option('--no-root-login', 'bare hosts refuse root over SSH: log in as admin and become root with sudo')
    .option('--name <name>', 'lab name (up to 9 lowercase letters/digits)', DEFAULT_LAB.name)
    .option('-i, --inventory <file>', 'where to write the Ansible inventory', DEFAULT_LAB.inventoryFile)
    .action(async (options: {
      hosts: number; prefix: string; subnet: string; docker: boolean; bare?: boolean; withPython?: boolean; rootLogin: boolean; name: string; inventory: string;
    }) => {
      const { labUp, LAB_INVENTORY_VARS } = { ...(await loadLab()), ...(await import('../lab/inventory.js')) };
      const result = await labUp({
        name: options.name,
        hosts: options.hosts,
        prefix: options.prefix,
        subnet: options.subnet,
        docker: options.docker,
        bare: options.bare,
        withPython: options.withPython,
        rootLogin: options.rootLogin,
        inventoryFile: options.inventory,
        onProgress: (message) => console.log(`lab: ${message}`),
      });
      const { state, timings } = result;
      if (state.bare) {
        const built = [timings.rootfs && timings.rootfs > 1000 ? `root file system ${seconds(timings.rootfs)}` : '', timings.mirror && timings.mirror > 1000 ? `mirror ${seconds(timings.mirror)}` : '']
          .filter(Boolean);
        console.log(`lab ${state.name} is up in ${seconds(timings.total)}${built.length > 0 ? ` (first build: ${built.join(', ')})` : ''}: ` +
          `${state.hosts.length} bare Debian 12 hosts, no Docker; packages from ${state.bare.mirror.url}; ` +
          (state.bare.rootLogin ? 'root and admin log in by password' : `root SSH off: log in as admin, become root with sudo`));
      } else {
        console.log(`lab ${state.name} is up in ${seconds(timings.total)}: ${state.hosts.length} hosts` +
          `${state.docker ? ' with dockerd' : ' (no docker)'}; root login by password until a key is copied`);
      }
      console.log(`inventory: ${result.inventoryFile} (holds the lab password; mode 0600)`);
      console.log(`known_hosts for this lab: ${state.knownHostsFile} (inventory var ${LAB_INVENTORY_VARS.knownHosts})`);
      if (state.docker) {
        console.log('note: this kernel has no IP_VS, so the swarm ingress routing mesh cannot work in the lab; ' +
          `publish service ports with mode=host (inventory var ${LAB_INVENTORY_VARS.publishMode}: host)`);
      }
    });

  lab
    .command('down')
    .description('stop every process the lab started, remove its namespaces, bridge, files and inventory')
    .option('--name <name>', 'lab name', DEFAULT_LAB.name)
    .action(async (options: { name: string }) => {
      const started = Date.now();
      const { labDown } = await loadLab();
      const result = await labDown(options.name, { onProgress: (message) => console.log(`lab: ${message}`) });
      if (result.found) console.log(`lab ${options.name} is down (${result.stoppedProcesses} processes stopped) in ${seconds(Date.now() - started)}`);
    });

  lab
    .command('reimage <host>')
    .description('reinstall one host of a bare lab: fresh root, new SSH host key (the lab\'s known_hosts follows), empty /var/lib/docker')
    .option('--name <name>', 'lab name', DEFAULT_LAB.name)
    .action(async (host: string, options: { name: string }) => {
      const { labReimage } = await loadLab();
      const result = await labReimage(options.name, host, { onProgress: (message) => console.log(`lab: ${message}`) });
      console.log(`${result.host} reinstalled in ${seconds(result.ms)}; new host key ${result.fingerprint}`);
    });

  lab
    .command('status')
    .description('address, sshd, dockerd and swarm state of each lab host')
    .option('--name <name>', 'lab name', DEFAULT_LAB.name)
    .option('--json', 'machine-readable output')
    .action(async (options: { name: string; json?: boolean }) => {
      const { labStatus } = await loadLab();
      const status = await labStatus(options.name);
      if (!status) {
        throw new SwarmplayError('LAB_FAILED', `no lab named ${options.name} is up`, { hint: 'start one with `swarmplay lab up`' });
      }
      console.log(options.json ? JSON.stringify(status, null, 2) : formatLabStatus(status));
    });

  lab
    .command('setup')
    .description('install the Debian packages the lab needs (openssh-server, docker.io, docker-registry, busybox-static, iproute2) when missing')
    .option('--no-docker', 'only what plain SSH hosts need')
    .option('--bare', 'what bare labs need (mmdebstrap, apt-utils, busybox-static, docker-registry)')
    .action(async (options: { docker: boolean; bare?: boolean }) => {
      const { installLabPackages } = await import('../lab/preflight.js');
      const installed = await installLabPackages(options.bare ? 'bare' : options.docker ? 'docker' : 'plain', (message) => console.log(`lab: ${message}`));
      console.log(installed.length > 0 ? `installed: ${installed.join(', ')}` : 'lab packages: all present');
    });

  return lab;
}
