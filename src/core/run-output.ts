/**
 * Which run of a job a user means, and that run's captured output: shared by `queuectl logs`
 * and the dashboard.
 */
import { ValidationError } from './errors.js';
import type { Attempt, Job } from './job.js';
import { openRunOutput, type StreamName } from './output-files.js';

export interface RunOutput {
  attempt: number;
  stream: StreamName;
  text: string;
  /** The file's full size; `text` holds its last `capBytes` when it is larger. */
  size: number;
  truncated: boolean;
}

/**
 * The run number `requested` names, or the latest run when it is absent; 0 when the job has not
 * run and no run was asked for. A run the job does not have is a ValidationError listing its runs.
 */
export function pickAttempt(job: Job, attempts: Attempt[], requested?: string | null): number {
  if (requested === undefined || requested === null)
    return attempts[attempts.length - 1]?.attempt ?? 0;
  const attempt = Number(requested);
  if (!attempts.some((a) => a.attempt === attempt)) {
    const known = attempts.length
      ? `its attempts are ${attempts.map((a) => a.attempt).join(', ')}`
      : 'it has not run yet';
    throw new ValidationError(`job "${job.id}" has no attempt ${requested}; ${known}`);
  }
  return attempt;
}

export function checkStream(stream: string): StreamName {
  if (stream === 'stdout' || stream === 'stderr') return stream;
  throw new ValidationError(`stream must be stdout or stderr, not "${stream}"`);
}

/**
 * Reads one stream of one run (its last `capBytes` at most); empty when it wrote nothing. A
 * symlink planted in place of the file or its directory is refused, never followed.
 */
export async function readRunOutput(
  logDir: string,
  jobId: string,
  attempt: number,
  stream: StreamName,
  capBytes = Infinity,
): Promise<RunOutput> {
  const empty: RunOutput = { attempt, stream, text: '', size: 0, truncated: false };
  if (attempt === 0) return empty;
  const fd = openRunOutput(logDir, jobId, attempt, stream);
  if (fd === null) return empty;
  // Imported here: this module is part of every enqueue's start-up, which reads no output.
  const { close, fstat, read } = await import('node:fs');
  const { promisify } = await import('node:util');
  try {
    const { size } = await promisify(fstat)(fd);
    const length = Math.min(size, capBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await promisify(read)(fd, buffer, 0, length, size - length);
    return {
      attempt,
      stream,
      text: buffer.subarray(0, bytesRead).toString('utf8'),
      size,
      truncated: size > length,
    };
  } finally {
    await promisify(close)(fd);
  }
}
