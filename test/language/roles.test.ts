/**
 * A broken role is bad input: the run stops before any host with exit 5, a
 * message at file:line that says what would be right.
 */
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { REPO_ROOT, runCli } from '../support/cli.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/roles');

const CASES: { playbook: string; says: RegExp; at: string }[] = [
  { playbook: 'no_main.yaml', says: /role 'no_main' has no tasks\/main\.yml[\s\S]*Files in .*no_main\/tasks: mian\.yml/, at: 'no_main.yaml:4:7' },
  { playbook: 'cycle_a.yaml', says: /role dependency cycle: cycle_a -> cycle_b -> cycle_a/, at: 'cycle_b/meta/main.yml:2:11' },
  { playbook: 'bad_meta.yaml', says: /'dependencies' must be a list of roles, got the string "common"/, at: 'bad_meta/meta/main.yml:3:15' },
  { playbook: 'meta_typo.yaml', says: /unknown key 'dependancies' in a role's meta\/main\.yml[\s\S]*Did you mean 'dependencies'\? meta\/main\.yml takes: dependencies, allow_duplicates/, at: 'meta_typo/meta/main.yml:4:1' },
  { playbook: 'nosuch_role.yaml', says: /the role 'nosuch_role' was not found[\s\S]*ANSIBLE_ROLES_PATH/, at: 'nosuch_role.yaml:4:7' },
];

describe('roles: a broken role stops the run before any host', function () {
  this.timeout(60_000);
  for (const c of CASES) {
    it(`${c.playbook}: exit 5 at ${c.at}`, async () => {
      // The inventory's only host does not exist: a run that went on would report it unreachable (exit 4).
      const result = await runCli(['run', path.join(FIXTURES, c.playbook), '-i', path.join(FIXTURES, 'hosts.yaml')], { env: { ANSIBLE_ROLES_PATH: '' } });
      const output = result.stdout + result.stderr;
      assert.equal(result.code, 5, output);
      assert.match(output, c.says);
      assert.ok(output.includes(c.at), `expected ${c.at} in:\n${output}`);
      assert.doesNotMatch(output, /unreachable/i);
    });
  }
});
