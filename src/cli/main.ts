/**
 * The full program, loaded by the executable (bin.cts) for every command line but the plain
 * enqueue: parse argv, run the command, map errors to exit codes.
 */
import { exitQuietlyOnClosedPipe } from './closed-pipe.js';
import { parseFastEnqueue, runFastEnqueue } from './fast-enqueue.js';

async function main(argv: string[]): Promise<number> {
  const fast = parseFastEnqueue(argv.slice(2));
  if (fast) return runFastEnqueue(fast); // here only when the bundle is missing
  // Loaded only here: commander and the full program cost ~20 ms of start-up.
  const [{ CommanderError }, { buildProgram, commandExit }, { describeError, EXIT, exitCodeFor }] =
    await Promise.all([import('commander'), import('./program.js'), import('./errors.js')]);
  const program = buildProgram().exitOverride();
  program.commands.forEach(function override(command): void {
    command.exitOverride();
    command.commands.forEach(override);
  });
  try {
    const args = argv.slice(2);
    if (args.every((arg, i) => arg.startsWith('-') || args[i - 1] === '--db')) {
      // No command: the interactive menu on a terminal (or -i); its modules load only here.
      const code = await (await import('./interactive/menu-request.js')).openMenu(args);
      if (code !== null) return code;
    }
    await program.parseAsync(argv);
    return commandExit.code ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its one-line message (or the help / version).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`queuectl: ${describeError(error)}\n`);
    return exitCodeFor(error);
  }
}

exitQuietlyOnClosedPipe();
main(process.argv).then((code) => {
  process.exitCode = code;
});
