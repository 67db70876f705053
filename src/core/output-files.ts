/**
 * Where a job's captured output lives: one file per run and stream, in a log directory next to
 * a SQLite database (or in this host's data directory for PostgreSQL). The worker writes these
 * files (worker/job-log.ts); `logs`, the dashboard and `rm` read or remove them through here. Nothing is followed through a symlink.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  unlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { dataDirectory, isPostgresUrl } from '../store/open-store.js';
import { codeOf, openExistingDirectory } from '../store/private-directory.js';

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
  return join(logDir, logName(jobId, attempt, stream));
}

export function logName(jobId: string, attempt: number, stream: StreamName): string {
  return `${jobId}.${attempt}.${stream}`;
}

/** A file that cannot be opened or created; the message names it and the error. */
export class OutputFileError extends Error {}

/**
 * `name` inside the directory open as `dirFd`: on Linux through /proc/self/fd, which resolves to
 * the very directory that was opened and checked, as openat() would, even if its path has been
 * replaced since. Elsewhere the path itself.
 */
export function inDirectory(dirFd: number, dir: string, name: string): string {
  return procFds() ? `/proc/self/fd/${dirFd}/${name}` : join(dir, name);
}

let hasProcFds: boolean | undefined;
function procFds(): boolean {
  hasProcFds ??= existsSync('/proc/self/fd');
  return hasProcFds;
}

/**
 * Opens one run's stream for reading, or returns null when it has no file (it wrote nothing, or
 * the directory is gone). Neither the directory nor the file is followed if it is a symlink: a
 * link planted there would show another file's content as the job's output.
 */
export function openRunOutput(
  logDir: string,
  jobId: string,
  attempt: number,
  stream: StreamName,
): number | null {
  const dirFd = openExistingDirectory(logDir, 'log directory');
  if (dirFd === null) return null;
  const name = logName(jobId, attempt, stream);
  try {
    const fd = openSync(
      inDirectory(dirFd, logDir, name),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new OutputFileError(`output file ${join(logDir, name)} is not a regular file`);
    }
    return fd;
  } catch (error) {
    if (error instanceof OutputFileError) throw error;
    const code = codeOf(error);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') {
      throw new OutputFileError(
        `output file ${join(logDir, name)} is a symlink, which queuectl does not follow`,
      );
    }
    throw new OutputFileError(`cannot open output file ${join(logDir, name)}: ${code}`);
  } finally {
    closeSync(dirFd);
  }
}

const STREAMS: readonly StreamName[] = ['stdout', 'stderr'];

/**
 * Removes the output files of runs 1..runs of each job (deleted jobs). A file that is not there
 * is fine (it wrote nothing, or it was removed already). Returns what could not be removed, one
 * line each; a log directory that is a symlink is not looked into. With `tally`, the sizes of
 * the files are added to it (`measureOnly`: measured, not removed: clean --dry-run).
 */
export function removeRunOutput(
  logDir: string,
  jobs: { id: string; runs: number }[],
  tally?: { bytes: number; measureOnly?: boolean },
): string[] {
  let dirFd: number | null;
  try {
    dirFd = openExistingDirectory(logDir, 'log directory');
  } catch (error) {
    return [`${(error as Error).message}; output files were left`];
  }
  if (dirFd === null) return [];
  const problems: string[] = [];
  try {
    for (const job of jobs) {
      for (let attempt = 1; attempt <= job.runs; attempt++) {
        for (const stream of STREAMS) {
          const name = logName(job.id, attempt, stream);
          const path = inDirectory(dirFd, logDir, name);
          try {
            if (tally) tally.bytes += lstatSync(path, { throwIfNoEntry: false })?.size ?? 0;
            if (tally?.measureOnly) continue;
            unlinkSync(path);
          } catch (error) {
            const code = codeOf(error);
            if (code !== 'ENOENT')
              problems.push(`cannot remove output file ${join(logDir, name)}: ${code}`);
          }
        }
      }
    }
  } finally {
    closeSync(dirFd);
  }
  return problems;
}
