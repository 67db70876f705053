/** Waiting on a worker process a test forked: its exit, or a message of its. */
import type { ChildProcess } from 'node:child_process';
import { isMessage } from '../../src/worker/exit-codes.js';

/** Its exit code (null if a signal ended it), also when it has already exited. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves when it sends a message of `type`; rejects if it exits first. */
export function messageOf(child: ChildProcess, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (isMessage(message, type)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the worker exited ${code} before ${type}`)));
  });
}
