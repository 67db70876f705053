/** `queuectl top`: the live view on a terminal, over the queue named by --db / QUEUECTL_DB. */
import { ValidationError } from '../../core/errors.js';
import { withQueue, type GlobalOptions } from '../context.js';
import type { PlainCommand } from '../command-spec.js';
import { runTop } from './live-view.js';

export const topCommand: PlainCommand = { kind: 'plain', run: ({ opts }) => top(opts) };

export async function top(options: GlobalOptions & { json?: boolean }): Promise<void> {
  if (options.json) {
    throw new ValidationError(
      'top is a live view and has no --json; for data use queuectl status --json or queuectl stats --json',
    );
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ValidationError(
      'top needs a terminal (its input and output); in scripts use queuectl status or queuectl stats',
    );
  }
  await withQueue(options, (queue) => runTop(queue));
}
