/**
 * listr2's default renderer, able to stop drawing while a question waits on
 * the terminal (pause's prompt). Drawing goes on by a timer and on every
 * title change, and while it draws listr2 holds stdout and stderr (their
 * writes wait in a buffer), so a prompt would stay invisible under a
 * spinner. Suspended, the renderer leaves its last frame on the screen,
 * gives the terminal back and draws nothing; resumed, it draws afresh below
 * whatever the question left there. A list due while a question waits
 * starts once it is answered.
 *
 * listr2 keeps the spinner, the logger and the log-update function private:
 * they are reached by name here (listr2 9.x), in this one place.
 */
import { DefaultRenderer, type ProcessOutput, type Spinner } from 'listr2';

interface RendererParts {
  spinner: Spinner;
  logger: { process: ProcessOutput };
  /** log-update: draws a frame over the last; done() keeps the frame and starts below it. Set once render() has run. */
  updater?: ((text: string) => void) & { done(): void };
  create(options?: { prompt?: boolean }): string;
}

/** Whether the terminal is held by a question, and the renderers drawing now. */
export class TerminalHold {
  private holders = 0;
  private waiting: Array<() => void> = [];
  readonly drawing = new Set<SuspendableRenderer>();

  get held(): boolean {
    return this.holders > 0;
  }

  take(): void {
    if (this.holders++ === 0) for (const renderer of this.drawing) renderer.suspend();
  }

  give(): void {
    if (this.holders === 0) return;
    if (--this.holders > 0) return;
    for (const renderer of this.drawing) renderer.resume();
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Settles once no question holds the terminal. */
  free(): Promise<void> {
    return this.held ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve();
  }
}

export abstract class SuspendableRenderer extends DefaultRenderer {
  protected abstract readonly hold: TerminalHold;
  private suspended = false;

  private get parts(): RendererParts {
    return this as unknown as RendererParts;
  }

  override async render(): Promise<void> {
    // A list due while a question waits (the question's own task) starts drawing once it is answered.
    await this.hold.free();
    await super.render();
    this.hold.drawing.add(this);
  }

  override update(): void {
    if (!this.suspended) super.update();
  }

  suspend(): void {
    const { spinner, logger, updater } = this.parts;
    if (this.suspended || !updater) return;
    this.suspended = true;
    spinner.stop();
    updater(this.parts.create());
    updater.done();
    logger.process.release();
  }

  resume(): void {
    if (!this.suspended) return;
    this.suspended = false;
    this.parts.logger.process.hijack();
    this.parts.spinner.start(() => this.update());
    this.update();
  }

  override end(): void {
    this.hold.drawing.delete(this);
    if (this.suspended) {
      // end() stops and releases what render() started: give it back the state it expects.
      this.suspended = false;
      this.parts.logger.process.hijack();
    }
    super.end();
  }
}

/** The renderer class for a reporter's lists, bound to the reporter's hold on the terminal. */
export function suspendableRendererFor(hold: TerminalHold): typeof DefaultRenderer {
  return class extends SuspendableRenderer {
    protected readonly hold = hold;
  };
}
