/**
 * What the menu's actions share: the database the menu was opened on, and signals. Ctrl+C in a
 * prompt never becomes a signal (the prompt reads keys raw and cancels itself); between prompts it
 * is SIGINT, which abandons the database work in progress (`work`) and brings the menu back.
 * Workers started from the menu handle SIGINT themselves (worker-start.ts), so `work` is not used
 * around them. SIGTERM cancels the question on screen and ends the menu once the current
 * action is over (workers it started stop gracefully first).
 */
import { cancelPrompt } from './prompts.js';

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

export class Session {
  /** SIGTERM arrived: leave the menu as soon as the current action ends. */
  ending = false;
  private interrupt: (() => void) | null = null;
  private readonly onInterrupt = () => this.interrupt?.();
  private readonly onTerminate = () => {
    this.ending = true;
    this.interrupt?.();
    cancelPrompt();
  };

  constructor(readonly db: string | undefined) {
    process.on('SIGINT', this.onInterrupt);
    process.on('SIGTERM', this.onTerminate);
  }

  close(): void {
    process.off('SIGINT', this.onInterrupt);
    process.off('SIGTERM', this.onTerminate);
  }

  /** The result of `task`, or Interrupted at the first Ctrl+C (the task is then left to end alone). */
  work<T>(task: Promise<T>): Promise<T> {
    task.catch(() => {}); // once abandoned, its outcome no longer matters
    return new Promise<T>((resolve, reject) => {
      this.interrupt = () => reject(new Interrupted());
      task.then(resolve, reject);
    }).finally(() => {
      this.interrupt = null;
    });
  }
}
