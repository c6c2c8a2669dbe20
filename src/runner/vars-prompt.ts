/**
 * vars_prompt: each prompt's value comes from -e when given there, else
 * from the terminal (a private answer is not echoed; confirm asks twice),
 * else, in a run without a terminal, from its default; without one the run
 * stops before any host with what to pass instead.
 */
import { createInterface } from 'node:readline';
import { SwarmplayError } from '../errors.js';
import type { Playbook, VarsPrompt } from '../language/playbook.js';

async function ask(prompt: VarsPrompt): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const question = (text: string): Promise<string> => new Promise((resolve) => {
    const muted = rl as unknown as { _writeToOutput(s: string): void };
    if (prompt.private) muted._writeToOutput = (s: string) => { if (s.startsWith(text)) process.stderr.write(text); };
    rl.question(text, (answer) => { if (prompt.private) process.stderr.write('\n'); resolve(answer); });
  });
  try {
    const suffix = prompt.default !== undefined ? ` [${String(prompt.default)}]` : '';
    for (;;) {
      const answer = (await question(`${prompt.prompt}${suffix}: `)) || String(prompt.default ?? '');
      if (!prompt.confirm || (await question(`confirm ${prompt.prompt}: `)) === answer) return answer;
      process.stderr.write('***** VALUES ENTERED DO NOT MATCH ****\n');
    }
  } finally {
    rl.close();
  }
}

/** Gives every prompt of every play its value, as play variables. Returns the answers (secrets for the redactor). */
export async function answerPrompts(playbook: Playbook, extraVars: Record<string, unknown>, interactive = Boolean(process.stdin.isTTY)): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const play of playbook.plays) {
    for (const prompt of play.varsPrompt) {
      if (prompt.name in extraVars) continue;
      let value: unknown;
      if (interactive) value = await ask(prompt);
      else if (prompt.default !== undefined) value = prompt.default;
      else {
        throw new SwarmplayError('BAD_OPTION', `vars_prompt '${prompt.name}' needs an answer, and this run has no terminal to ask on`, {
          location: prompt.location, hint: `pass it with -e ${prompt.name}=..., or give the prompt a 'default'`,
        });
      }
      if (prompt.private) answers.push(value);
      play.vars = { ...play.vars, [prompt.name]: value };
    }
  }
  return answers;
}
