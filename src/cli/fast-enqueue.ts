/**
 * The start-up fast path for the most frequent call, `queuectl [--db X] enqueue '<json>' [--json]`:
 * it runs the same command module without loading commander or registering every command
 * (~20 ms of a ~100 ms start). Any other shape of command line (help, flags, --file, -c, extra
 * arguments) returns null and goes through the full program, so behaviour is unchanged.
 */
import { exitQuietlyOnClosedPipe, writeStdout } from './closed-pipe.js';

export interface FastEnqueueArgs {
  json: string;
  db?: string;
  printJson: boolean;
}

/** Recognises the simple enqueue form in argv (after node and the script); null otherwise. */
export function parseFastEnqueue(args: readonly string[]): FastEnqueueArgs | null {
  let db: string | undefined;
  let printJson = false;
  let sawCommand = false;
  let json: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--db' && i + 1 < args.length) db = args[++i];
    else if (arg.startsWith('--db=')) db = arg.slice('--db='.length);
    else if (arg === '--json' && sawCommand) printJson = true;
    else if (arg.startsWith('-')) return null;
    else if (!sawCommand) {
      if (arg !== 'enqueue') return null;
      sawCommand = true;
    } else if (json === undefined) json = arg;
    else return null;
  }
  return sawCommand && json !== undefined ? { json, db, printJson } : null;
}

/** Runs the fast path; resolves with the exit code. */
export async function runFastEnqueue(args: FastEnqueueArgs): Promise<number> {
  const [{ enqueue, jsonOfEnqueue, renderEnqueue }, { withQueue }, { toJson }, errors] =
    await Promise.all([
      import('./commands/enqueue.js'),
      import('./context.js'),
      import('./output.js'),
      import('./errors.js'),
    ]);
  try {
    const result = await withQueue({ db: args.db }, (queue) => enqueue(queue, args.json, {}));
    writeStdout(`${args.printJson ? toJson(jsonOfEnqueue(result)) : renderEnqueue(result)}\n`);
    return errors.EXIT.ok;
  } catch (error) {
    exitQuietlyOnClosedPipe();
    process.stderr.write(`queuectl: ${errors.describeError(error)}\n`);
    return errors.exitCodeFor(error);
  }
}
