/** One JSON object per line for each event; the last one is the recap. */
import type { RunnerEvent } from '../runner/events.js';

export class JsonReporter {
  constructor(private readonly write: (text: string) => void = (t) => process.stdout.write(t)) {}

  onEvent = (e: RunnerEvent): void => {
    this.write(`${JSON.stringify(e)}\n`);
  };

  async close(): Promise<void> {}
}
