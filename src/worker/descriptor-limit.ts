/**
 * How many jobs a worker process can run at once without running out of file descriptors. Each
 * running job holds its two output files, and while it starts a few more (the spawn's, the log
 * directory's); the process itself needs some for the database, its watch, the terminal and the
 * PostgreSQL pool. Past the limit, opening a job's output fails (EMFILE): the job would be charged
 * a spawn_failed run for a limit of the worker's, and burn through its retries. So a worker asked
 * for more slots than its limit allows runs fewer, and says so.
 */
import { readFileSync } from 'node:fs';

/** Descriptors a running job may hold at once. */
export const DESCRIPTORS_PER_JOB = 4;
/** Descriptors kept for the worker process itself. */
export const DESCRIPTORS_RESERVED = 64;

/** This process's soft limit on open files (RLIMIT_NOFILE); null when unlimited or unknown. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const limit = Number(soft);
    return Number.isInteger(limit) && limit > 0 ? limit : null;
  } catch {
    return null; // not Linux: no /proc
  }
}

/** The slots to run for `wanted`, under a limit of `limit` open files (null: no limit known). */
export function slotsWithin(wanted: number, limit: number | null): number {
  if (limit === null) return wanted;
  const fit = Math.floor((limit - DESCRIPTORS_RESERVED) / DESCRIPTORS_PER_JOB);
  return Math.max(1, Math.min(wanted, fit));
}
