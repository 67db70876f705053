/**
 * `queuectl list | head` closes the pipe early: stop quietly, as other command-line tools do.
 * Installed by every entry (the fast paths' bundles and the full program), once.
 */
let installed = false;

export function exitQuietlyOnClosedPipe(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}
