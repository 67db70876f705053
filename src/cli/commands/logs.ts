/**
 * `queuectl logs <id>`: the captured output of a run; --follow streams a running job's output,
 * --json gives both streams as strings.
 */
import { closeSync, createReadStream, fstatSync } from 'node:fs';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Queue } from '../../core/queue.js';
import { pickAttempt, readRunOutput } from '../../core/run-output.js';
import { logDirectory, openRunOutput, type StreamName } from '../../core/output-files.js';
import type { Attempt } from '../../core/job.js';
import type { PlainCommand } from '../command-spec.js';
import { runExitStatus } from './wait.js';
import { withQueue } from '../context.js';
import { toJson } from '../output.js';

export interface LogsOptions {
  attempt?: number;
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  json?: boolean;
}

/**
 * --json holds each stream as one string: at most its last 64 MiB (output-limit may be up to
 * 1 GiB, past what one JavaScript string can hold); `truncated` then names the cut streams.
 */
const JSON_CAP_BYTES = 64 * 1024 * 1024;

/** Copies what `stream` of the run holds past `from` to `out`; returns the new offset. */
async function copy(
  dir: string,
  run: { jobId: string; attempt: number; stream: StreamName },
  from: number,
  out: NodeJS.WritableStream,
): Promise<number> {
  const fd = openRunOutput(dir, run.jobId, run.attempt, run.stream);
  if (fd === null) return from;
  const size = fstatSync(fd).size;
  if (size <= from) {
    closeSync(fd);
    return from;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream('', { fd, start: from, end: size - 1 });
    stream.on('error', reject);
    stream.on('end', resolve);
    stream.pipe(out, { end: false });
  });
  return size;
}

export const logsCommand: PlainCommand<LogsOptions> = {
  kind: 'plain',
  run: ({ args, opts }) => withQueue(opts, (queue) => logs(queue, args[0]!, opts)),
};

/**
 * Resolves once the job has a run to show (it started), or with null once it can no longer get
 * one (finished without running, or removed). Woken by the store's change notifications.
 */
async function firstRun(queue: Queue, id: string): Promise<Attempt[] | null> {
  // One subscription for the whole wait: a change between two looks is not lost.
  let changed = false;
  let wake = () => {};
  const stop = queue.store.subscribe(() => {
    changed = true;
    wake();
  });
  try {
    for (;;) {
      changed = false;
      const { job, attempts } = await queue.show(id);
      if (attempts.length > 0) return attempts;
      if (['completed', 'dead', 'cancelled'].includes(job.state)) return null;
      if (changed) continue;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        // A missed notification costs at most this long. (Not unref'd: the store's watch may
        // be, and something must keep the process waiting.)
        timer = setTimeout(resolve, 2000);
      });
      clearTimeout(timer);
    }
  } finally {
    stop();
  }
}

export async function logs(queue: Queue, id: string, options: LogsOptions): Promise<number | void> {
  if (options.json && options.follow) {
    throw new ValidationError('--follow streams text as it comes; leave out --json (or --follow)');
  }
  const shown = await queue.show(id);
  const job = shown.job;
  let attempts = shown.attempts;
  if (attempts.length === 0 && options.follow && options.attempt === undefined) {
    // A job that has not started: wait for its first run, then follow that.
    const started = await firstRun(queue, job.id);
    if (started === null) {
      throw new NotFoundError(`job "${job.id}" finished without running, so it has no output`);
    }
    attempts = started;
  }
  if (attempts.length === 0) {
    throw new NotFoundError(`job "${job.id}" has not run yet, so it has no output`);
  }
  const attempt = pickAttempt(
    job,
    attempts,
    options.attempt === undefined ? undefined : String(options.attempt),
  );
  const streams: StreamName[] =
    options.stdout && !options.stderr
      ? ['stdout']
      : options.stderr && !options.stdout
        ? ['stderr']
        : ['stdout', 'stderr'];
  const dir = logDirectory(queue.store.location);
  if (options.json) {
    const outputs = await Promise.all(
      streams.map((stream) => readRunOutput(dir, job.id, attempt, stream, JSON_CAP_BYTES)),
    );
    const texts = Object.fromEntries(outputs.map((output) => [output.stream, output.text]));
    const truncated = outputs.filter((output) => output.truncated).map((output) => output.stream);
    process.stdout.write(
      `${toJson({ id: job.id, attempt, ...texts, ...(truncated.length ? { truncated } : {}) })}\n`,
    );
    return;
  }
  const targets = streams.map((stream) => ({
    run: { jobId: job.id, attempt, stream },
    out: stream === 'stdout' ? process.stdout : process.stderr,
    offset: 0,
  }));
  const running = async () => {
    const current = await queue.show(job.id);
    const run = current.attempts.find((a) => a.attempt === attempt);
    return run !== undefined && run.finished_at === null;
  };
  for (;;) {
    const stillRunning = options.follow ? await running() : false;
    for (const target of targets)
      target.offset = await copy(dir, target.run, target.offset, target.out);
    if (!stillRunning) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!options.follow) return;
  // Followed to its end: exit with that run's status, as `wait` would.
  const { attempts: runs } = await queue.show(job.id);
  return runExitStatus(runs.find((a) => a.attempt === attempt));
}
