/** A run's captured output, read from its log file and capped so a huge log cannot stall the page. */
import { open, stat } from 'node:fs/promises';
import { ValidationError } from '../core/errors.js';
import type { Queue } from '../core/queue.js';
import { logDirectory, logPath, type StreamName } from '../worker/job-log.js';

/** At most this much of a stream is sent; past it, the end of the output is shown. */
export const OUTPUT_CAP_BYTES = 256 * 1024;

export interface JobOutput {
  attempt: number;
  stream: StreamName;
  text: string;
  /** The file's full size; `text` holds its last OUTPUT_CAP_BYTES when it is larger. */
  size: number;
  truncated: boolean;
}

export async function readJobOutput(
  queue: Queue,
  id: string,
  stream: string,
  attemptParam: string | null,
): Promise<JobOutput> {
  if (stream !== 'stdout' && stream !== 'stderr') {
    throw new ValidationError(`stream must be stdout or stderr, not "${stream}"`);
  }
  const { job, attempts } = await queue.show(id);
  const attempt =
    attemptParam === null ? (attempts[attempts.length - 1]?.attempt ?? 0) : Number(attemptParam);
  if (attemptParam !== null && !attempts.some((a) => a.attempt === attempt)) {
    throw new ValidationError(`job "${job.id}" has no attempt ${attemptParam}`);
  }
  const empty = { attempt, stream, text: '', size: 0, truncated: false } as const;
  if (attempt === 0) return empty;
  const path = logPath(logDirectory(queue.store.location), job.id, attempt, stream);
  const size = await stat(path).then(
    (s) => s.size,
    () => null,
  );
  if (size === null) return empty;
  const length = Math.min(size, OUTPUT_CAP_BYTES);
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, size - length);
    return {
      attempt,
      stream,
      text: buffer.subarray(0, bytesRead).toString('utf8'),
      size,
      truncated: size > length,
    };
  } finally {
    await file.close();
  }
}
