/**
 * `set_fact`: sets variables on the host for the rest of the run, as
 * Ansible's set_fact; values arrive already templated (a whole `{{ }}` keeps
 * its type). Runs on the controller; nothing changes on the host, so the task
 * is ok. `cacheable` is accepted and ignored (there is no fact cache).
 */
import { z } from 'zod';
import { defineModule } from './types.js';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const setFactArgs = z
  .record(z.string(), z.unknown())
  .superRefine((facts, refinement) => {
    const names = Object.keys(facts).filter((name) => name !== 'cacheable');
    if (names.length === 0) refinement.addIssue({ code: z.ZodIssueCode.custom, message: 'no variables given: write name: value pairs' });
    for (const name of names) {
      if (!VARIABLE_NAME.test(name)) {
        refinement.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: `'${name}' is not a valid variable name (letters, digits, _; not starting with a digit)` });
      }
    }
  })
  .transform(({ cacheable: _cacheable, ...facts }) => facts);

export const setFact = defineModule({
  name: 'set_fact',
  schema: setFactArgs,
  controllerOnly: true,
  async plan(_ctx, facts) {
    return { steps: [], setFacts: facts, result: { ansible_facts: facts } };
  },
});
