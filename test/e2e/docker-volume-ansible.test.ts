/**
 * community.docker.docker_volume under swarmplay (the docker CLI over SSH)
 * and under ansible-playbook with the real collection (its Docker SDK from
 * the machine's /usr, which the lab hosts share), each on its own host of one
 * lab at the same time: the same recap in check mode, in a first and in a
 * second run (changed=0), and the same volumes read with `docker volume
 * inspect` over OpenSSH; check mode leaves the volumes as they were.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { bringUpLab, type TestLab } from '../support/lab.js';
import { REPO_ROOT } from '../support/cli.js';
import { assertCheckChangesNothing, assertSecondRunChangesNothing, firstRunAlike } from '../support/side-by-side.js';

const exec = promisify(execFile);
const PLAYBOOK = path.join(REPO_ROOT, 'test', 'fixtures', 'docker-volume', 'playbook.yaml');

describe('community.docker.docker_volume beside ansible-playbook', function () {
  this.timeout(600_000);
  let lab: TestLab;

  before(async () => {
    // The collection needs the Docker SDK: a machine without it fails here, loudly.
    await exec('python3', ['-c', 'import docker']).catch(() => { throw new Error('python3-docker is not installed: run scripts/setup-machine.sh'); });
    lab = await bringUpLab({ name: 'm2vol', subnet: '10.203.49.0/24', hosts: 2 });
    // A volume from before, for state: absent.
    await Promise.all(['docker01', 'docker02'].map((host) => lab.ssh(host, 'docker volume create m2old >/dev/null')));
  });
  after(async () => { await lab?.down(); });

  // The volumes, without what differs by nature (creation time), and with no options read alike:
  // the collection's SDK sends an empty map ({}), the CLI none (null).
  const volumes = async (host: string) => (await lab.ssh(host, 'for v in $(docker volume ls -q | sort); do docker volume inspect $v --format '
    + "'{{.Name}} {{.Driver}} {{json .Labels}} {{if .Options}}{{json .Options}}{{else}}no-options{{end}} {{.Scope}}'; done")).trim();

  it('--check reports what Ansible reports and changes nothing', () => assertCheckChangesNothing(lab, PLAYBOOK, volumes));

  it('a run gives the same recap and the same volumes; a second run changes nothing', async () => {
    const state1 = await firstRunAlike(lab, PLAYBOOK, volumes);
    assert.match(state1, /^m2cache local \{"tier":"cache"\} no-options local\nm2data local \{"tier":"db"\} \{"device":"tmpfs","o":"size=16m","type":"tmpfs"\} local\nm2plain local/);
    assert.doesNotMatch(state1, /m2old/);
    await assertSecondRunChangesNothing(lab, PLAYBOOK);
  });
});
