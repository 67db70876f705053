#!/usr/bin/env node
/** The queuectl executable: parse argv, run the command, map errors to exit codes. */
import { parseFastEnqueue } from './fast-enqueue.js';

async function main(argv: string[]): Promise<number> {
  const fast = parseFastEnqueue(argv.slice(2));
  if (fast) return (await loadFastEnqueue()).runFastEnqueue(fast);
  // Loaded only here: commander and the full program cost ~20 ms of start-up.
  const [{ CommanderError }, { buildProgram }, { describeError, EXIT, exitCodeFor }] =
    await Promise.all([import('commander'), import('./program.js'), import('./errors.js')]);
  const program = buildProgram().exitOverride();
  program.commands.forEach(function override(command): void {
    command.exitOverride();
    command.commands.forEach(override);
  });
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its one-line message (or the help / version).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`queuectl: ${describeError(error)}\n`);
    return exitCodeFor(error);
  }
}

/**
 * The fast path bundled into one file by the build (scripts/bundle-fast-enqueue.mjs): ~15 ms
 * less start-up than loading its ~25 modules one by one. Falls back to the plain module.
 */
async function loadFastEnqueue(): Promise<typeof import('./fast-enqueue.js')> {
  const bundle = './fast-enqueue.bundle.js';
  try {
    return (await import(bundle)) as typeof import('./fast-enqueue.js');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    return import('./fast-enqueue.js');
  }
}

// `queuectl list | head` closes the pipe early: stop quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
