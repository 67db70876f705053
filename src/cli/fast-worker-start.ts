/**
 * The start-up fast path for `queuectl [--db X] worker [start] [options]`: the same command
 * module, without loading commander or registering every command, from one CommonJS bundle run
 * from V8's code cache (bin.cjs), so that the workers are forked sooner and the first job runs
 * sooner. The options are read with worker start's own specs, which the command table uses too
 * (the same flags, aliases and value parsers); a command line with anything else (--detach, --stop, --help,
 * an unknown or combined flag, a value the parser refuses) returns null and goes through the
 * full program, which says what is wrong.
 */
import { exitQuietlyOnClosedPipe } from './closed-pipe.js';
import type { OptionSpec } from './command-spec.js';
import { WORKER_START_OPTIONS } from './worker-start-options.js';
import type { WorkerStartOptions } from './commands/worker-start.js';
import { discardEarlyWorker, type EarlyWorker } from '../worker/early-worker.cjs';

export interface FastWorkerStartArgs {
  db?: string;
  options: WorkerStartOptions;
}

/** What the fast path takes; the rest (--detach, --stop) has other work to do first. */
const FAST_OPTIONS = new Set([
  '--count',
  '--concurrency',
  '--drain',
  '--max-jobs',
  '--poll-interval',
  '--quiet',
  '--verbose',
  '--queue',
]);

interface FastOption {
  /** The option's name as commander keys it (--max-jobs: maxJobs). */
  key: string;
  takesValue: boolean;
  parse?: (value: string) => unknown;
}

let optionsByFlag: Map<string, FastOption> | undefined;

/** worker start's options the fast path takes, by every spelling of their flag. */
function fastOptions(): Map<string, FastOption> {
  if (optionsByFlag) return optionsByFlag;
  optionsByFlag = new Map();
  for (const option of WORKER_START_OPTIONS) {
    const flags = flagsOf(option);
    const long = flags.find((flag) => flag.startsWith('--'))!;
    if (!FAST_OPTIONS.has(long)) continue;
    const fast: FastOption = {
      key: long.slice(2).replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase()),
      takesValue: option.flags.includes('<'),
      parse: option.parse,
    };
    for (const flag of flags) optionsByFlag.set(flag, fast);
  }
  return optionsByFlag;
}

function flagsOf(option: OptionSpec): string[] {
  const named = option.flags.split(/[ ,]+/).filter((part) => part.startsWith('-'));
  return [...named, ...(option.aliases ?? [])];
}

/** Recognises a plain worker start in argv (after node and the script); null otherwise. */
export function parseFastWorkerStart(args: readonly string[]): FastWorkerStartArgs | null {
  const options = fastOptions();
  const words: string[] = [];
  const parsed: Record<string, unknown> = {};
  let db: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--db' && i + 1 < args.length) db = args[++i];
    else if (arg.startsWith('--db=')) db = arg.slice('--db='.length);
    else if (arg.startsWith('-')) {
      const option = options.get(arg);
      if (!option) return null;
      if (!option.takesValue) {
        parsed[option.key] = true;
        continue;
      }
      if (i + 1 >= args.length) return null;
      const value = args[++i]!;
      try {
        // As commander: the last of a repeated option counts.
        parsed[option.key] = option.parse ? option.parse(value) : value;
      } catch {
        return null; // the full program says what is wrong with it
      }
    } else words.push(arg);
  }
  const command = words.join(' ');
  if (command !== 'worker' && command !== 'worker start') return null;
  return { db, options: parsed as WorkerStartOptions };
}

/** Runs the fast path; resolves with the exit code. */
export async function runFastWorkerStart(
  args: FastWorkerStartArgs,
  early: EarlyWorker | null = null,
): Promise<number> {
  exitQuietlyOnClosedPipe();
  const [{ workerStart }, errors] = await Promise.all([
    import('./commands/worker-start.js'),
    import('./errors.js'),
  ]);
  try {
    await workerStart(args.db, args.options, early);
    return errors.EXIT.ok;
  } catch (error) {
    process.stderr.write(`queuectl: ${errors.describeError(error)}\n`);
    return errors.exitCodeFor(error);
  } finally {
    discardEarlyWorker(early); // when no supervisor took it
  }
}
