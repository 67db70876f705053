/** One place decides exit codes and how failures are shown. */
import { QueuectlError, StoreBrokenError } from '../core/errors.js';

export const EXIT = {
  ok: 0,
  /** Something went wrong that is not the user's input: the database cannot be opened, a timeout. */
  failure: 1,
  /** Usage or validation: bad flags, bad JSON, unknown ids, duplicate ids, wrong states. */
  usage: 2,
} as const;

/** A failure the command reports itself, with its own exit code and a one-line message. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof QueuectlError) return EXIT.usage;
  if (error instanceof CommandFailure) return error.exitCode;
  return EXIT.failure;
}

/** One line, no stack trace (unless QUEUECTL_DEBUG is set). */
export function describeError(error: unknown): string {
  if (process.env.QUEUECTL_DEBUG && error instanceof Error && error.stack) return error.stack;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof StoreBrokenError) return `${message}; run queuectl doctor`;
  return message.split('\n')[0]!;
}
