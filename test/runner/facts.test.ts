import assert from 'node:assert/strict';
import { FactCache, gatherFacts, parseFacts, FACTS_COMMAND } from '../../src/runner/facts.js';
import type { HostFacts } from '../../src/facts/host-facts.js';
import { DOCKER_INFO_COMMAND, dockerInfo } from '../../src/facts/docker-info.js';
import { fixture, jsonFixture } from '../fixtures/docker/index.js';
import { LocalConnection } from '../../src/transport/local.js';
import { KnownHosts } from '../../src/transport/known-hosts.js';
import { SshConnection } from '../../src/transport/ssh.js';
import type { Connection } from '../../src/transport/types.js';
import { startSshd, type TestSshd } from '../support/sshd.js';
import os from 'node:os';
import path from 'node:path';

const S = '::swarmplay-facts::';

const SWARM_MANAGER_OUTPUT = `${S}hostname
docker01
${S}os-release
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
${S}kernel
6.1.0-18-amd64
${S}arch
x86_64
${S}addresses
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: ens33    inet 192.168.20.6/24 brd 192.168.20.255 scope global ens33\\       valid_lft forever preferred_lft forever
3: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever preferred_lft forever
7: veth0@if6    inet 10.9.0.1/24 scope global veth0\\       valid_lft forever preferred_lft forever
${S}default-route
default via 192.168.20.2 dev ens33 proto static metric 100
${S}init
systemd
:link /lib/systemd/systemd
:systemd-booted
:init.d
${S}pkg
apt-get
${S}docker-binaries
/usr/bin/dockerd
/usr/bin/docker
${S}docker-info
${fixture('info-manager.json').trim()}
${S}end
`;

describe('facts', () => {
  describe('parseFacts on fixture outputs', () => {
    it('reads a swarm manager with an insecure registry', () => {
      const expected: HostFacts = {
        hostname: 'docker01',
        os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', kernel: '6.1.0-18-amd64', arch: 'x86_64' },
        osFamily: 'Debian',
        pkgMgr: 'apt',
        serviceMgr: 'systemd',
        interfaces: [
          { name: 'lo', ipv4: ['127.0.0.1'] },
          { name: 'ens33', ipv4: ['192.168.20.6'] },
          { name: 'docker0', ipv4: ['172.17.0.1'] },
          { name: 'veth0', ipv4: ['10.9.0.1'] },
        ],
        defaultIpv4: '192.168.20.6',
        docker: {
          installed: true, daemonRunning: true, version: '20.10.24+dfsg1', swarmState: 'active', nodeId: '9a8l30g1qbxzon92yoa4oz88h',
          isManager: true, clusterId: 'lmnaf1pffqmyelw64zozlhvez', insecureRegistries: ['10.251.0.1:5000'],
        },
      };
      // Ansible's own names and values are checked in test/facts/ansible-facts.test.ts.
      const { ansible, ...facts } = parseFacts(SWARM_MANAGER_OUTPUT);
      assert.equal(ansible?.distribution, 'Debian');
      assert.deepEqual(facts, expected);
    });

    it('a bare host: no ip tool, no docker, no default route', () => {
      const { ansible, ...facts } = parseFacts(`${S}hostname\nbare\n${S}os-release\nID='alpine'\nVERSION_ID=3.19.1\n${S}kernel\n6.1\n${S}arch\naarch64\n` +
        `${S}addresses\n${S}default-route\n${S}docker-binaries\n${S}docker-info\n${S}end\n`);
      assert.equal(ansible?.pkg_mgr, 'unknown');
      assert.deepEqual(facts, {
        hostname: 'bare',
        os: { id: 'alpine', versionId: '3.19.1', prettyName: '', kernel: '6.1', arch: 'aarch64' },
        osFamily: 'Alpine',
        pkgMgr: 'unknown',
        serviceMgr: 'service',
        interfaces: [],
        docker: { installed: false },
      });
    });

    it('docker installed but its daemon down; an inactive swarm worker', () => {
      const down = parseFacts(`${S}docker-binaries\n/usr/bin/docker\n${S}docker-info\n${S}end\n`);
      assert.deepEqual(down.docker, { installed: true, daemonRunning: false });
      // A client newer than the daemon still prints JSON, with ServerErrors and no server version.
      const answering = parseFacts(`${S}docker-binaries\n/usr/bin/docker\n${S}docker-info\n` +
        '{"ServerErrors":["Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"]}\n' + `${S}end\n`);
      assert.deepEqual(answering.docker, { installed: true, daemonRunning: false });
      const info = jsonFixture('info-inactive.json', (value) => {
        value.RegistryConfig.InsecureRegistryCIDRs = ['127.0.0.0/8', '10.1.0.0/16'];
      });
      const inactive = parseFacts(`${S}docker-binaries\n/usr/bin/dockerd\n${S}docker-info\n${info}\n${S}end\n`);
      assert.deepEqual(inactive.docker, {
        installed: true, daemonRunning: true, version: '20.10.24+dfsg1', swarmState: 'inactive', isManager: false,
        insecureRegistries: ['10.1.0.0/16', '10.251.0.1:5000'],
      });
    });

    it('names the package and service managers as Ansible does', () => {
      const facts = (osRelease: string, init: string, tools: string) =>
        parseFacts(`${S}os-release\n${osRelease}\n${S}init\n${init}\n${S}pkg\n${tools}\n${S}end\n`);
      // A container whose PID 1 is its own program: Ansible names that program (this machine's /proc/1/comm).
      const container = facts('ID=debian', 'process_api\n:link\n:init.d', 'apt-get');
      assert.deepEqual([container.osFamily, container.pkgMgr, container.serviceMgr], ['Debian', 'apt', 'process_api']);
      // PID 1 a shell or plain init: /etc/init.d makes it sysvinit.
      const sysv = facts('ID=ubuntu\nID_LIKE=debian', 'init\n:link\n:init.d', 'apt-get');
      assert.deepEqual([sysv.osFamily, sysv.pkgMgr, sysv.serviceMgr], ['Debian', 'apt', 'sysvinit']);
      const rocky = facts('ID="rocky"\nID_LIKE="rhel centos fedora"', 'systemd\n:link /lib/systemd/systemd\n:systemd-booted', 'dnf\nyum');
      // A shell as PID 1 (a container) is not a service manager: Ansible looks further, as for plain init.
      const shell = facts('ID=debian', 'bash\n:link', 'apt-get');
      assert.deepEqual([shell.serviceMgr, facts('ID=alpine', 'init\n:link\n:openrc', 'apk').serviceMgr, facts('ID=debian', 'procd\n:link', '').serviceMgr], ['service', 'openrc', 'openwrt_init']);
      assert.deepEqual([rocky.osFamily, rocky.pkgMgr, rocky.serviceMgr], ['RedHat', 'dnf', 'systemd']);
    });

    it('prefers the src address of the default route', () => {
      const facts = parseFacts(`${S}addresses\n2: eth0    inet 10.0.0.5/24 scope global eth0\n2: eth0    inet 10.0.0.6/24 scope global secondary eth0\n` +
        `${S}default-route\ndefault via 10.0.0.1 dev eth0 src 10.0.0.6\n${S}end\n`);
      assert.equal(facts.defaultIpv4, '10.0.0.6');
      assert.deepEqual(facts.interfaces, [{ name: 'eth0', ipv4: ['10.0.0.5', '10.0.0.6'] }]);
    });

    it('a node whose join is pending: swarm state without a cluster', () => {
      const facts = parseFacts(`${S}docker-binaries\n/usr/bin/docker\n${S}docker-info\n${fixture('info-pending.json').trim()}\n${S}end\n`);
      assert.equal(facts.docker.swarmState, 'pending');
      assert.equal(facts.docker.isManager, false);
      assert.equal(facts.docker.clusterId, undefined);
    });

    it('gathers docker with the same command as the docker_info fact', () => {
      assert.ok(FACTS_COMMAND.includes(DOCKER_INFO_COMMAND), FACTS_COMMAND);
    });

    it('garbage never throws', () => {
      assert.doesNotThrow(() => parseFacts('\u0000 random { not json\n::swarmplay-facts::docker-binaries\nx\n::swarmplay-facts::docker-info\n{broken'));
    });
  });

  describe('gatherFacts', function () {
    this.timeout(30_000);

    it('reads the real sshd host in one command, matching what the controller sees locally', async () => {
      const sshd: TestSshd = await startSshd({ address: '127.0.0.104' });
      const knownHosts = new KnownHosts(path.join(sshd.dir, 'known_hosts'));
      const conn = await SshConnection.connect(
        { host: 'factshost', address: sshd.address, port: sshd.port, user: 'root', privateKeyPath: sshd.clientKeyPath },
        { knownHosts, strictHostKeys: false });
      try {
        const before = conn.channelsOpened;
        const facts = await gatherFacts(conn);
        assert.equal(conn.channelsOpened - before, 1, 'one round trip');
        assert.equal(facts.hostname, os.hostname());
        assert.equal(facts.os.kernel, os.release());
        assert.equal(facts.os.arch, 'x86_64');
        assert.equal(facts.os.id, 'debian');
        assert.ok(facts.interfaces.some((i) => i.name === 'lo' && i.ipv4.includes('127.0.0.1')), JSON.stringify(facts.interfaces));
        const local = await new LocalConnection().run('ip -4 route show default');
        const device = /dev (\S+)/.exec(local.stdout)?.[1];
        assert.equal(facts.defaultIpv4, device ? facts.interfaces.find((i) => i.name === device)?.ipv4[0] : undefined);
        const docker = await new LocalConnection().run('command -v dockerd || command -v docker');
        assert.equal(facts.docker.installed, docker.stdout.trim() !== '');
      } finally {
        await conn.close();
        await sshd.stop();
      }
    });

    it('FACTS_COMMAND is valid POSIX sh (dash -n)', async () => {
      const check = await new LocalConnection().run('dash -n', { stdin: FACTS_COMMAND });
      assert.equal(check.exitCode, 0, check.stderr);
    });
  });

  describe('FactCache', () => {
    it('reads once per host, shares concurrent readers, and reads again after invalidate', async () => {
      let reads = 0;
      const cache = new FactCache(async (host) => new LocalConnection(host), async () => {
        reads += 1;
        return parseFacts(SWARM_MANAGER_OUTPUT);
      });
      const [a, b] = await Promise.all([cache.get('docker01'), cache.get('docker01')]);
      assert.equal(a, b);
      assert.equal(reads, 1);
      await cache.get('docker02');
      assert.equal(reads, 2);
      cache.invalidate('docker01');
      await cache.get('docker01');
      assert.equal(reads, 3);
    });

    it('a cluster-scoped reading is read again after any host changes; a host-scoped one only after its own host does', async () => {
      const cache = new FactCache(async (host) => new LocalConnection(host), async () => parseFacts(''));
      let reads = 0;
      const reader = (scope: 'host' | 'cluster') => ({ name: `count_${scope}`, scope, command: () => 'true', parse: () => ++reads });
      const cluster = reader('cluster');
      const own = reader('host');
      const first = { cluster: await cache.read('docker01', cluster, {}), own: await cache.read('docker01', own, {}) };
      cache.invalidate('docker02');
      assert.notEqual(await cache.read('docker01', cluster, {}), first.cluster, 'docker02 joined: the node list read on docker01 is read again');
      assert.equal(await cache.read('docker01', own, {}), first.own);
    });

    it('connects only when a reading is not cached', async () => {
      const connected: string[] = [];
      const cache = new FactCache(async (host) => {
        connected.push(host);
        return new LocalConnection(host) as Connection;
      }, async () => parseFacts(''));
      await cache.get('h');
      await cache.get('h');
      assert.deepEqual(connected, ['h']);
      assert.ok(cache.hasHostFacts('h'));
      cache.invalidate('h');
      assert.ok(!cache.hasHostFacts('h'));
      await cache.get('h');
      assert.deepEqual(connected, ['h', 'h']);
    });

    it('keeps the docker info the gathering read as the docker_info reading, until a change drops both', async () => {
      const info = jsonFixture('info-inactive.json', () => {});
      const cache = new FactCache(async (host) => new LocalConnection(host), async () =>
        parseFacts(`${S}docker-binaries\n/usr/bin/dockerd\n${S}docker-info\n${info}\n${S}end\n`));
      let reads = 0;
      const counting = { ...dockerInfo, parse: (...args: Parameters<typeof dockerInfo.parse>) => { reads += 1; return dockerInfo.parse(...args); } };
      await cache.get('h');
      assert.equal((await cache.read('h', counting, {})).swarm.state, 'inactive');
      assert.equal(reads, 0, 'no second docker info');
      cache.invalidate('h');
      await cache.read('h', counting, {}).catch(() => {});
      assert.equal(reads, 1, 'read again after a change');
      // A daemon that does not answer leaves nothing to keep: docker_info reads (and says why it fails).
      const down = new FactCache(async (host) => new LocalConnection(host), async () =>
        parseFacts(`${S}docker-binaries\n/usr/bin/docker\n${S}docker-info\n${S}end\n`));
      await down.get('h');
      await down.read('h', counting, {}).catch(() => {});
      assert.equal(reads, 2);
    });

    it('a failed read is not cached', async () => {
      let reads = 0;
      const cache = new FactCache(async (host) => new LocalConnection(host), async () => {
        reads += 1;
        if (reads === 1) throw new Error('host hiccup');
        return parseFacts('');
      });
      await assert.rejects(cache.get('h'), /hiccup/);
      await cache.get('h');
      assert.equal(reads, 2);
    });
  });
});
