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
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { inDirectory, logDirectory, logName, OutputFileError } from '../core/output-files.js';
import { dataDirectory, isPostgresUrl } from '../store/open-store.js';
import { codeOf, openPrivateDirectory, tightenDirectory } from '../store/private-directory.js';

/**
 * The note appended to a capped stream. `exact` is false when bytes were also cut while the job
 * ran: the job may write between the size check and the cut, so the count is then a lower bound.
 */
export function truncationNote(dropped: number, limit: number, exact = true): string {
  const count = exact ? `${dropped} more bytes were` : `at least ${dropped} more bytes were`;
  return `\n[queuectl: ${count} dropped; output-limit is ${limit} bytes]\n`;
}

/**
 * Read-write (the end of stderr is read back through the same descriptor, never by path again)
 * and append-only, so after a cut the job's next write lands at the new end, not past a hole.
 * Created exclusively and never through a symlink: a link planted at a run's file name cannot
 * make a job overwrite the link's target.
 */
const OUTPUT_FLAGS =
  constants.O_RDWR |
  constants.O_CREAT |
  constants.O_EXCL |
  constants.O_NOFOLLOW |
  constants.O_APPEND;

/** One stream's file: the job writes into `fd`; the worker only measures and cuts it. */
class CappedFile {
  private dropped = 0;
  private cutWhileRunning = false;
  /** How far readNew() has read. */
  private seen = 0;

  private constructor(
    readonly fd: number,
    private readonly name: string,
    private readonly limit: number,
  ) {}

  /**
   * Creates the file `name` in the directory open as `dirFd`. A file of that name left by an
   * earlier worker (a database restored or recreated, its old output still there) is removed
   * first: unlink removes a symlink itself, never its target.
   */
  static create(dirFd: number, dir: string, name: string, limit: number): CappedFile {
    const path = inDirectory(dirFd, dir, name);
    try {
      try {
        return new CappedFile(openSync(path, OUTPUT_FLAGS, 0o600), name, limit);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        unlinkSync(path);
        return new CappedFile(openSync(path, OUTPUT_FLAGS, 0o600), name, limit);
      }
    } catch (error) {
      const failure = new OutputFileError(
        `cannot create output file ${join(dir, name)}: ${codeOf(error)}`,
      );
      (failure as NodeJS.ErrnoException).code = (error as NodeJS.ErrnoException).code;
      throw failure;
    }
  }

  /** While the job runs: cuts the file back to the limit if the job wrote past it. */
  cap(): void {
    this.cut(fstatSync(this.fd).size, true);
  }

  /** Bytes written since the last call (for `worker start -v`); none past a cut. */
  readNew(): Buffer {
    const size = fstatSync(this.fd).size;
    if (size <= this.seen) {
      this.seen = Math.min(this.seen, size);
      return Buffer.alloc(0);
    }
    const buffer = Buffer.alloc(size - this.seen);
    const read = readSync(this.fd, buffer, 0, buffer.length, this.seen);
    this.seen += read;
    return buffer.subarray(0, read);
  }

  /**
   * After the job: returns the file's last `tailBytes` as text (read before the final cut, so the
   * newest output), cuts it to the limit with a note of what was dropped, closes it, and removes
   * it if the job wrote nothing.
   */
  finish(dirFd: number, dir: string, tailBytes = 0): string {
    let size = 0;
    let tail = '';
    try {
      size = fstatSync(this.fd).size;
      tail = tailBytes > 0 && size > 0 ? this.read(Math.min(tailBytes, size), size) : '';
      this.cut(size, false);
      if (this.dropped > 0) {
        writeSync(this.fd, truncationNote(this.dropped, this.limit, !this.cutWhileRunning));
      }
    } finally {
      closeSync(this.fd);
    }
    if (size === 0) {
      try {
        unlinkSync(inDirectory(dirFd, dir, this.name));
      } catch {
        // Gone already, or the directory is read-only now: an empty file left behind is harmless.
      }
    }
    return tail;
  }

  private cut(size: number, whileRunning: boolean): void {
    if (size <= this.limit) return;
    ftruncateSync(this.fd, this.limit);
    this.dropped += size - this.limit;
    if (whileRunning) this.cutWhileRunning = true;
  }

  /** `length` bytes ending at `end`. */
  private read(length: number, end: number): string {
    const buffer = Buffer.alloc(length);
    return buffer.toString('utf8', 0, readSync(this.fd, buffer, 0, length, end - length));
  }
}

/** The end of stderr (in bytes) that a failed run's error message quotes from. */
const ERROR_TAIL = 400;

/**
 * Opens a log directory (made when missing): never a symlink, another user's directory or one
 * others may write into (see private-directory.ts). Throws a DirectoryError saying what is wrong.
 */
export function openLogDirectory(logDir: string): number {
  return openPrivateDirectory(logDir, 'log directory');
}

/**
 * Checks a store's log directory up front (`worker start`), making it when missing, so that a
 * directory no run could use is reported once, not by every run. For PostgreSQL it also
 * tightens the data directory and its logs/ directory, which queuectl names too.
 */
export function prepareLogDirectory(location: string): void {
  const logDir = logDirectory(location);
  if (isPostgresUrl(location)) {
    tightenDirectory(dataDirectory());
    tightenDirectory(dirname(logDir));
  }
  closeSync(openLogDirectory(logDir));
}

/** The two output files of one run, and their directory, held open while the run lasts. */
export class RunOutputFiles {
  private constructor(
    private readonly dirFd: number,
    private readonly logDir: string,
    private readonly stdout: CappedFile,
    private readonly stderr: CappedFile,
  ) {}

  /**
   * Creates the run's files; a log directory that is missing is made again. Throws a
   * DirectoryError or an OutputFileError saying what is wrong, with nothing left open.
   */
  static create(logDir: string, jobId: string, attempt: number, limit: number): RunOutputFiles {
    for (let attemptNo = 0; ; attemptNo++) {
      const dirFd = openLogDirectory(logDir);
      let stdout: CappedFile | undefined;
      try {
        stdout = CappedFile.create(dirFd, logDir, logName(jobId, attempt, 'stdout'), limit);
        const stderr = CappedFile.create(dirFd, logDir, logName(jobId, attempt, 'stderr'), limit);
        return new RunOutputFiles(dirFd, logDir, stdout, stderr);
      } catch (error) {
        try {
          stdout?.finish(dirFd, logDir);
        } finally {
          closeSync(dirFd);
        }
        // Removed between opening it and creating the files: make it once more.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attemptNo === 0) continue;
        throw error;
      }
    }
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

  /** What each stream got since the last call (`worker start -v`). */
  readNew(): { stdout: Buffer; stderr: Buffer } {
    return { stdout: this.stdout.readNew(), stderr: this.stderr.readNew() };
  }

  /**
   * After the job: final cuts and notes, empty files removed, every descriptor closed (even when
   * a step fails). Returns the end of stderr.
   */
  finish(): { stderrTail: string } {
    try {
      let stderrTail = '';
      try {
        this.stdout.finish(this.dirFd, this.logDir);
      } finally {
        stderrTail = this.stderr.finish(this.dirFd, this.logDir, ERROR_TAIL);
      }
      return { stderrTail };
    } finally {
      closeSync(this.dirFd);
    }
  }
}
