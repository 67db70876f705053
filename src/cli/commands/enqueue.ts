/** `queuectl enqueue`: one job from JSON or flags, or a batch from a file or stdin. */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { DEFAULT_QUEUE, type Job, type JobEnvironment } from '../../core/job.js';
import {
  checkArgumentText,
  specsFromArgument,
  specsFromStream,
  type SpecSource,
} from '../../core/job-input.js';
import type { EnqueueResult as StoredJobs, Queue } from '../../core/queue.js';
import type { QueueCommand } from '../command-spec.js';
import { ago, timestamp } from '../output.js';
import { quotedCommand, shellWords } from '../shell-words.js';

/** The options as the command table parses them (numbers checked, durations in ms). */
export interface EnqueueOptions {
  file?: string;
  command?: string;
  id?: string;
  priority?: number;
  delay?: string;
  runAt?: string;
  /** Milliseconds. */
  timeout?: number;
  maxRetries?: number;
  /** Where the jobs run (default: the directory enqueue runs in). */
  cwd?: string;
  /** NAME=VALUE pairs set over the recorded environment. */
  env?: [string, string][];
  /** Record no environment: jobs get the worker's, plus --env. */
  cleanEnv?: boolean;
  /** The queue of every job that names none. */
  queue?: string;
  /** With -c: run after these jobs have completed. */
  after?: string[];
  /** With -c: store nothing while a job with this key waits or runs. */
  uniqueKey?: string;
}

/** queuectl's own variables, set by the worker for each run (an enqueue from inside a job has them). */
const INTERNAL = new Set([
  'QUEUECTL_JOB_ID',
  'QUEUECTL_ATTEMPT',
  'QUEUECTL_QUEUE',
  'QUEUECTL_WORKER_PID',
  'QUEUECTL_WORKER_DB',
]);

/**
 * What the CLI records with every job it enqueues, so that it runs as if typed here: this
 * directory (or --cwd) and this environment (or, with --clean-env, only --env over the worker's).
 * The library API records nothing it is not given; this is the command line's doing.
 */
export function recordedPlace(options: EnqueueOptions): { cwd: string; env: JobEnvironment } {
  const extra = Object.fromEntries(options.env ?? []);
  const here: Record<string, string> = {};
  if (!options.cleanEnv) {
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !INTERNAL.has(name)) here[name] = value;
    }
  }
  return {
    cwd: resolve(options.cwd ?? process.cwd()),
    env: { vars: { ...here, ...extra }, inherit: options.cleanEnv === true },
  };
}

/** How many ids `enqueue --file` reports (all of them for smaller files). */
export const FILE_IDS_SHOWN = 10_000;

export interface EnqueueResult extends StoredJobs {
  /** One job given: the job stored, or the one holding its unique key (`skipped`). */
  job?: Job & { skipped?: true };
}

const FLAG_FIELDS = [
  'id',
  'priority',
  'delay',
  'runAt',
  'timeout',
  'maxRetries',
  'after',
  'uniqueKey',
] as const;

/** The flag form (`-c "make test" --priority 5 …`) as a job spec, validated like JSON. */
function specFromFlags(options: EnqueueOptions): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    command: options.command === undefined ? undefined : checkArgumentText(options.command, '-c'),
  };
  if (options.id !== undefined) spec.id = options.id;
  if (options.priority !== undefined) spec.priority = options.priority;
  if (options.maxRetries !== undefined) spec.max_retries = options.maxRetries;
  if (options.delay !== undefined) spec.delay = options.delay;
  if (options.runAt !== undefined) spec.run_at = options.runAt;
  if (options.timeout !== undefined) spec.timeout_seconds = options.timeout / 1000;
  if (options.after !== undefined) spec.after = options.after;
  if (options.uniqueKey !== undefined) {
    spec.unique_key = checkArgumentText(options.uniqueKey, '--unique-key');
  }
  return spec;
}

/** Text meant as JSON: it starts like an object or array, or parses (and is then checked). */
function looksLikeJson(text: string): boolean {
  if (/^\s*[[{]/.test(text)) return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A JSON argument that is plainly a shell command (`queuectl enqueue ls`): say how to enqueue
 * a command instead of reporting invalid JSON.
 */
function checkLooksLikeJson(json: string): void {
  if (looksLikeJson(json)) return;
  throw new ValidationError(
    `"${json.length > 60 ? `${json.slice(0, 60)}…` : json}" is not a JSON job; to enqueue a shell command use -c: queuectl enqueue -c ${quotedCommand(json)}`,
  );
}

async function openInput(file: string): Promise<AsyncIterable<SpecSource>> {
  if (file === '-') return specsFromStream(process.stdin);
  try {
    // Imported here: node:fs/promises costs ~1.5 ms of the plain enqueue, which reads no file.
    await (await import('node:fs/promises')).access(file);
  } catch {
    throw new ValidationError(`cannot read "${file}": no such file (use - to read standard input)`);
  }
  return specsFromStream(createReadStream(file, { highWaterMark: 256 * 1024 }));
}

export async function enqueue(
  queue: Queue,
  json: string | undefined,
  options: EnqueueOptions,
  onProgress?: (count: number) => void,
): Promise<EnqueueResult> {
  const sources = [
    json !== undefined,
    options.file !== undefined,
    options.command !== undefined,
  ].filter(Boolean);
  if (sources.length !== 1) {
    throw new ValidationError(
      `give exactly one of: a JSON argument, --file FILE, or -c COMMAND (e.g. queuectl enqueue '{"command":"echo hi"}')`,
    );
  }
  if (options.command === undefined && FLAG_FIELDS.some((flag) => options[flag] !== undefined)) {
    throw new ValidationError(
      '--id, --priority, --delay, --run-at, --timeout, --max-retries, --after and --unique-key go with -c COMMAND; put them in the JSON otherwise',
    );
  }
  const place = { ...recordedPlace(options), queue: options.queue };
  if (options.file !== undefined) {
    // Ids of the first FILE_IDS_SHOWN jobs only: a million-line file must not be held in memory.
    return queue.enqueueMany(await openInput(options.file), {
      ...place,
      keepIds: FILE_IDS_SHOWN,
      onProgress,
    });
  }
  if (json !== undefined) checkLooksLikeJson(json);
  const specs: Iterable<SpecSource> =
    json !== undefined
      ? specsFromArgument(json)
      : [{ value: specFromFlags(options), where: 'job' }];
  const result: EnqueueResult = await queue.enqueueMany(specs, place);
  if (result.count + result.skipped !== 1) return result;
  const skipped = result.skippedJobs[0];
  result.job = skipped
    ? { ...(await queue.get(skipped.existingId)), skipped: true }
    : await queue.get(result.ids[0]!);
  return result;
}

/** One job, stored or skipped: what happened to it, and when it runs. */
function renderOne(job: Job & { skipped?: true }, now: number): string {
  if (job.skipped) {
    return `already queued ${job.id} (${job.state}, unique key "${job.unique_key}"); nothing stored`;
  }
  if (job.state === 'cancelled') return `enqueued ${job.id}, cancelled at once: ${job.last_error}`;
  const after = job.waiting_for.length ? ` after ${job.waiting_for.join(', ')}` : '';
  const queue = job.queue === DEFAULT_QUEUE ? '' : ` in queue ${job.queue}`;
  // A start time was given (run_at or delay): confirm the instant stored, in UTC, since a
  // run_at without a zone was read as this machine's local time.
  if (job.run_at !== job.created_at) {
    return `enqueued ${job.id}${queue}${after} to run at ${timestamp(job.run_at)} (${job.run_at > now ? ago(job.run_at, now) : 'due now'})`;
  }
  return `enqueued ${job.id}${queue}${after}`;
}

export function renderEnqueue(result: EnqueueResult, now = Date.now()): string {
  if (result.job) return renderOne(result.job, now);
  const shown = result.ids.slice(0, 10).join(', ');
  const stored = `enqueued ${result.count} job${result.count === 1 ? '' : 's'}${result.ids.length ? `: ${shown}${result.count > 10 ? ', …' : ''}` : ''}`;
  if (result.skipped === 0) return stored;
  const skipped = result.skippedJobs
    .slice(0, 10)
    .map((job) => `${job.id} (key held by ${job.existingId})`)
    .join(', ');
  return `${stored}\nskipped ${result.skipped} whose unique key a waiting or running job holds: ${skipped}${result.skipped > 10 ? ', …' : ''}`;
}

/** What --json prints: one job (with `skipped: true` when it was), or the batch's tally. */
export function jsonOfEnqueue(result: EnqueueResult): unknown {
  if (result.job) return result.job;
  return {
    count: result.count,
    ids: result.ids,
    skipped: result.skipped,
    skippedJobs: result.skippedJobs,
  };
}

/** The words after `--` that follows `enqueue`, or null when there is no `--`. */
function afterDashDash(rawArgs: string[]): string[] | null {
  const at = rawArgs.indexOf('--', rawArgs.indexOf('enqueue'));
  return at === -1 ? null : rawArgs.slice(at + 1);
}

export const enqueueCommand: QueueCommand<EnqueueResult, EnqueueOptions> = {
  kind: 'queue',
  async run(queue, { args, opts, rawArgs }) {
    const words = afterDashDash(rawArgs);
    if (words !== null) {
      if (words.length === 0)
        throw new ValidationError('give the command after --: queuectl enqueue -- make test');
      if (opts.command !== undefined || opts.file !== undefined) {
        throw new ValidationError('give the command either after -- or with -c, not both');
      }
      return enqueue(queue, undefined, { ...opts, command: shellWords(words) });
    }
    if (opts.command !== undefined && args.length === 1 && looksLikeJson(args[0]!)) {
      return enqueue(queue, args[0], opts); // both JSON and -c: enqueue() says to give one
    }
    if (opts.command !== undefined && args.length > 0) {
      const whole = shellWords([opts.command, ...args]);
      throw new ValidationError(
        `-c takes one argument: quote the whole command, as in queuectl enqueue -c ${quotedCommand(whole)} (or queuectl enqueue -- ${whole})`,
      );
    }
    if (args.length > 1) {
      const whole = shellWords(args);
      throw new ValidationError(
        `"${whole}" is not a JSON job; to enqueue a shell command use -c: queuectl enqueue -c ${quotedCommand(whole)} (or queuectl enqueue -- ${whole})`,
      );
    }
    const progress = process.stderr.isTTY
      ? (n: number) => n % 10_000 === 0 && process.stderr.write(`\rstored ${n} jobs…`)
      : undefined;
    const result = await enqueue(queue, args[0], opts, progress);
    if (progress && result.count >= 10_000) process.stderr.write('\r\u001b[2K');
    return result;
  },
  render: (result) => renderEnqueue(result),
  jsonOf: (result) => jsonOfEnqueue(result),
};
