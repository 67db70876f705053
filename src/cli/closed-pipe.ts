/**
 * `queuectl list | head` closes the pipe early: stop quietly, as other command-line tools do.
 * Installed by every entry (the fast paths' bundles and the full program), once.
 */
import { writeSync } from 'node:fs';

let installed = false;

/** Ends the process as if its output had all been read. */
const exitQuietly = (): never => process.exit(process.exitCode ?? 0);

export function exitQuietlyOnClosedPipe(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') exitQuietly();
      throw error;
    });
  }
}

/**
 * Writes `text` to standard output without process.stdout, whose first use builds a stream (and,
 * on a pipe, loads Node's net and stream modules: ~3 ms of a `queuectl enqueue`). A closed pipe
 * ends the process quietly, as above; a non-blocking descriptor that is full (EAGAIN) gets the
 * rest through process.stdout, which waits for room.
 */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') exitQuietly();
    if (code !== 'EAGAIN') throw error;
    exitQuietlyOnClosedPipe();
    process.stdout.write(bytes.subarray(done));
  }
}
