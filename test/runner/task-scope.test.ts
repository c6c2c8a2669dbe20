/**
 * What a task inherits from the blocks around it, and which tasks a tag
 * filter selects (whole runs of these are compared with ansible-playbook in
 * ansible-parity.test.ts; here each rule on its own).
 */
import assert from 'node:assert/strict';
import type { Task } from '../../src/language/playbook.js';
import { childScope, tagsSelect, type Scope } from '../../src/runner/task-scope.js';

const outer: Scope = {
  vars: [{ a: 1 }], tags: ['outer'], when: ['x is defined'], become: true, rescuable: true, ignoreErrors: false, noLog: false,
  environment: [], moduleDefaults: [], anyErrorsFatal: false, ignoreUnreachable: false, throttle: 3, remoteUser: 'deploy',
};

/** A task with only the keywords a case gives. */
const task = (keywords: Partial<Task>): Task => ({ kind: 'block', block: [], rescue: [], always: [], vars: {}, tags: [], when: [], ...keywords } as Task);

describe('task scope', () => {
  describe('tagsSelect', () => {
    const select = (taskTags: string[], tags: string[], skipTags: string[] = []) => tagsSelect(taskTags, { tags, skipTags });

    it('no filter runs every task but those tagged never', () => {
      assert.equal(select([], []), true);
      assert.equal(select(['never'], []), false);
      assert.equal(select(['never', 'debug'], ['debug']), true);
    });

    it('always runs unless skipped by name', () => {
      assert.equal(select(['always'], ['deploy']), true);
      assert.equal(select(['always'], [], ['always']), false);
      assert.equal(select(['always'], [], ['all']), true);
      assert.equal(select(['deploy'], [], ['all']), false);
    });

    it('tagged and untagged pick by whether a task has tags', () => {
      assert.equal(select(['deploy'], ['tagged']), true);
      assert.equal(select([], ['tagged']), false);
      assert.equal(select([], ['untagged']), true);
      assert.equal(select(['deploy'], ['untagged']), false);
    });
  });

  describe('childScope', () => {
    it('adds the task\'s variables, tags and conditions after the outer ones', () => {
      const inner = childScope(outer, task({ vars: { b: 2 }, tags: ['inner'], when: ['y'] }));
      assert.deepEqual(inner.vars, [{ a: 1 }, { b: 2 }]);
      assert.deepEqual(inner.tags, ['outer', 'inner']);
      assert.deepEqual(inner.when, ['x is defined', 'y']);
      assert.equal(childScope(outer, task({})).vars, outer.vars, 'no variables of its own: the same layers');
    });

    it('the task\'s own keywords win, the outer ones are kept where it has none', () => {
      const inner = childScope(outer, task({ become: false, remoteUser: 'admin' }));
      assert.equal(inner.become, false);
      assert.equal(inner.remoteUser, 'admin');
      assert.equal(childScope(outer, task({})).remoteUser, 'deploy');
      assert.equal(inner.rescuable, true);
    });

    it('ignore_errors: true anywhere wins; a template is kept with the role it may read', () => {
      assert.equal(childScope({ ...outer, ignoreErrors: true }, task({ ignoreErrors: '{{ x }}' })).ignoreErrors, true);
      assert.deepEqual(childScope(outer, task({ ignoreErrors: '{{ x }}' })).ignoreErrors, { template: '{{ x }}', role: undefined });
    });

    it('throttle: the tighter of the task\'s and the blocks\'', () => {
      assert.equal(childScope(outer, task({ throttle: 5 })).throttle, 3);
      assert.equal(childScope(outer, task({ throttle: 2 })).throttle, 2);
      assert.equal(childScope({ ...outer, throttle: undefined }, task({})).throttle, undefined);
    });
  });
});
