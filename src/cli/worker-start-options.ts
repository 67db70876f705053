/**
 * `worker start`'s options, apart from the command table so that the fast path of a plain
 * `worker start` (fast-worker-start.ts) reads them without loading every other command.
 */
import type { OptionSpec } from './command-spec.js';
import { duration, queueNames, wholeNumber } from './option-parsers.js';
/** One hour in milliseconds: the longest --poll-interval. */
const HOUR = 3_600_000;

export const WORKER_START_OPTIONS: OptionSpec[] = [
  {
    flags: '-n, --count <n>',
    aliases: ['-c'],
    description: 'how many worker processes (default: config worker-count)',
    parse: wholeNumber('--count', 1, 256),
  },
  {
    flags: '-j, --concurrency <m>',
    description:
      'jobs each worker process runs at once; --count N --concurrency M runs N×M (default: config worker-concurrency)',
    parse: wholeNumber('--concurrency', 1, 256),
  },
  {
    flags: '--drain',
    description: 'exit once no job is left to run (pending, waiting for a retry, or running)',
  },
  {
    flags: '-l, --max-jobs <n>',
    description: 'each worker process exits after running this many jobs (not replaced)',
    parse: wholeNumber('--max-jobs', 1, 1_000_000_000),
  },
  {
    flags: '-s, --poll-interval <duration>',
    description:
      'look for work at least this often (seconds, or 500ms, 2s); overrides config poll-interval',
    parse: duration('--poll-interval', 10, HOUR),
  },
  { flags: '-q, --quiet', description: 'do not log each job' },
  {
    flags: '-v, --verbose',
    description: "also log every line jobs write, prefixed with the job's id and stream",
  },
  {
    flags: '--detach',
    description:
      'run in the background, apart from this terminal (closing it does not stop them); prints the pid and the log file',
  },
  { flags: '--stop', description: 'stop running workers instead (as `queuectl worker stop`)' },
  {
    flags: '--queue <names>',
    description: 'serve only these queues (NAME[,NAME...]; default: every queue)',
    parse: queueNames('--queue'),
  },
];
