/**
 * Where a job's output lives and how it is capped. Each run's stdout and stderr are files the
 * job's command writes into directly: no byte passes through the worker, so output costs the
 * worker nothing and survives the worker's death. Past the output limit, the rest is cut off
 * (while the job runs, too, so a flood cannot fill the disk) and a note at the end says so.
 */
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { dataDirectory, isPostgresUrl } from '../store/open-store.js';

export type StreamName = 'stdout' | 'stderr';

/** The directory holding captured output for a store location. */
export function logDirectory(location: string): string {
  if (isPostgresUrl(location)) {
    // Loaded here, not up front: node:crypto costs ~4 ms of every SQLite `queuectl enqueue`.
    const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
    const digest = crypto.createHash('sha256').update(location).digest('hex').slice(0, 16);
    return join(dataDirectory(), 'logs', digest);
  }
  return `${location}.logs`;
}

/**
 * One file per run and stream, all in one directory: `<job id>.<attempt>.<stream>` names each
 * run's stream uniquely (ids hold no '/', attempts are digits) and, unlike a directory per job,
 * costs no mkdir and rmdir per run.
 */
export function logPath(
  logDir: string,
  jobId: string,
  attempt: number,
  stream: StreamName,
): string {
  return join(logDir, `${jobId}.${attempt}.${stream}`);
}

/**
 * The note appended to a capped stream. `exact` is false when bytes were also cut while the job
 * ran: the job may write between the size check and the cut, so the count is then a lower bound.
 */
export function truncationNote(dropped: number, limit: number, exact = true): string {
  const count = exact ? `${dropped} more bytes were` : `at least ${dropped} more bytes were`;
  return `\n[queuectl: ${count} dropped; output-limit is ${limit} bytes]\n`;
}

/** Append-only, so after a cut the job's next write lands at the new end, not past a hole. */
const OUTPUT_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND;

/** One stream's file: the job writes into `fd`; the worker only measures and cuts it. */
class CappedFile {
  readonly fd: number;
  private dropped = 0;
  private cutWhileRunning = false;

  constructor(
    readonly path: string,
    private readonly limit: number,
  ) {
    this.fd = openSync(path, OUTPUT_FLAGS, 0o600);
  }

  /** While the job runs: cuts the file back to the limit if the job wrote past it. */
  cap(): void {
    this.cut(fstatSync(this.fd).size, true);
  }

  /**
   * After the job: returns the file's last `tailBytes` as text (read before the final cut, so the
   * newest output), cuts it to the limit with a note of what was dropped, closes it, and removes
   * it if the job wrote nothing.
   */
  finish(tailBytes = 0): string {
    const size = fstatSync(this.fd).size;
    const tail = tailBytes > 0 && size > 0 ? this.read(Math.min(tailBytes, size), size) : '';
    this.cut(size, false);
    if (this.dropped > 0) {
      writeSync(this.fd, truncationNote(this.dropped, this.limit, !this.cutWhileRunning));
    }
    closeSync(this.fd);
    if (size === 0) ignoreMissing(() => unlinkSync(this.path));
    return tail;
  }

  private cut(size: number, whileRunning: boolean): void {
    if (size <= this.limit) return;
    ftruncateSync(this.fd, this.limit);
    this.dropped += size - this.limit;
    if (whileRunning) this.cutWhileRunning = true;
  }

  /** `length` bytes ending at `end`; a reader of its own, as the job's descriptor is write-only. */
  private read(length: number, end: number): string {
    const buffer = Buffer.alloc(length);
    const reader = openSync(this.path, 'r');
    try {
      return buffer.toString('utf8', 0, readSync(reader, buffer, 0, length, end - length));
    } finally {
      closeSync(reader);
    }
  }
}

/** The end of stderr (in bytes) that a failed run's error message quotes from. */
const ERROR_TAIL = 400;

/** Log directories this process has made sure exist. */
const madeDirs = new Set<string>();

function makeDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  madeDirs.add(dir);
}

/** The two output files of one run. */
export class RunOutputFiles {
  private readonly stdout: CappedFile;
  private readonly stderr: CappedFile;

  constructor(logDir: string, jobId: string, attempt: number, limit: number) {
    const open = (stream: StreamName) =>
      new CappedFile(logPath(logDir, jobId, attempt, stream), limit);
    if (!madeDirs.has(logDir)) makeDir(logDir);
    try {
      this.stdout = open('stdout');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      makeDir(logDir); // removed while this worker ran
      this.stdout = open('stdout');
    }
    this.stderr = open('stderr');
  }

  /** The descriptors to hand the job as its stdout and stderr. */
  get fds(): [number, number] {
    return [this.stdout.fd, this.stderr.fd];
  }

  /** While the job runs: cut whatever has grown past the limit. */
  cap(): void {
    this.stdout.cap();
    this.stderr.cap();
  }

  /** After the job: final cuts and notes, empty files removed. Returns the end of stderr. */
  finish(): { stderrTail: string } {
    this.stdout.finish();
    return { stderrTail: this.stderr.finish(ERROR_TAIL) };
  }
}

/** Removal that tolerates a file already gone. */
function ignoreMissing(remove: () => void): void {
  try {
    remove();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
