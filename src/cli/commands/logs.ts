/**
 * `queuectl logs <id>`: the captured output of a run; --follow streams a running job's output,
 * --json gives both streams as strings.
 */
import { closeSync, createReadStream, fstatSync } from 'node:fs';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Queue } from '../../core/queue.js';
import { pickAttempt, readRunOutput } from '../../core/run-output.js';
import { logDirectory, openRunOutput, type StreamName } from '../../core/output-files.js';
import type { PlainCommand } from '../command-spec.js';
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

export async function logs(queue: Queue, id: string, options: LogsOptions): Promise<void> {
  if (options.json && options.follow) {
    throw new ValidationError('--follow streams text as it comes; leave out --json (or --follow)');
  }
  const { job, attempts } = await queue.show(id);
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
    if (!stillRunning) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
