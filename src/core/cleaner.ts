/**
 * Deletes finished jobs past their retention, with their attempts and output files: for the
 * maintenance leader's cleaner and for `queuectl clean`. Small batches, each its own short
 * transaction, with a pause between them so that workers get the write lock; then the freed
 * space is given back to the file system, a bounded step at a time.
 */
import type { FinishedState } from './job.js';
import type { CleanTarget } from './retention.js';
import type { ExpiredCursor, JobStore } from '../store/job-store.js';

/** Jobs deleted per transaction: a few milliseconds of write lock. */
export const CLEAN_BATCH = 500;

export interface CleanReport {
  jobs: number;
  byState: Record<FinishedState, number>;
  /** Bytes of output files removed (or, with dryRun, that would be). */
  bytes: number;
  /** Output files that could not be removed, one line each (at most 20). */
  filesLeft: string[];
  dryRun: boolean;
  /** False when stopped early (`keepGoing` said no: the leader lost its lease). */
  complete: boolean;
}

export interface CleanOptions {
  dryRun?: boolean;
  /** Asked before each batch; false stops the clean (the rest waits for the next one). */
  keepGoing?: () => boolean;
  onProgress?: (jobs: number) => void;
  batchSize?: number;
  /** Only this queue's jobs. */
  queue?: string;
}

const FILES_LEFT_SHOWN = 20;

/**
 * Between two batches the cleaner rests as long as the batch took, and at least this long: a
 * writer waiting for SQLite's lock retries after sleeps of a few milliseconds and would find it
 * taken again at once (a clean of a million jobs starved an enqueue for seconds).
 */
const MIN_PAUSE_MS = 10;
const pause = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.max(MIN_PAUSE_MS, ms)));

export async function cleanFinished(
  store: JobStore,
  logDir: string,
  targets: CleanTarget[],
  options: CleanOptions = {},
): Promise<CleanReport> {
  // Loaded here: output files are not part of the plain enqueue's start-up.
  const { removeRunOutput } = await import('./output-files.js');
  const limit = options.batchSize ?? CLEAN_BATCH;
  const keepGoing = options.keepGoing ?? (() => true);
  const report: CleanReport = {
    jobs: 0,
    byState: { completed: 0, dead: 0, cancelled: 0 },
    bytes: 0,
    filesLeft: [],
    dryRun: options.dryRun === true,
    complete: true,
  };
  const tally = { bytes: 0, measureOnly: report.dryRun };
  for (const { state, olderThanMs } of targets) {
    let after: ExpiredCursor | null = null;
    for (;;) {
      if (!keepGoing()) {
        report.complete = false;
        break;
      }
      let jobs;
      const began = performance.now();
      if (report.dryRun) {
        const page = await store.jobListExpired({
          state,
          olderThanMs,
          limit,
          after,
          queue: options.queue,
        });
        jobs = page.jobs;
        after = page.next;
      } else {
        jobs = await store.jobPurgeExpired({ state, olderThanMs, limit, queue: options.queue });
      }
      const left = removeRunOutput(logDir, jobs, tally);
      report.filesLeft.push(...left.slice(0, FILES_LEFT_SHOWN - report.filesLeft.length));
      report.jobs += jobs.length;
      report.byState[state] += jobs.length;
      options.onProgress?.(report.jobs);
      if (jobs.length < limit || (report.dryRun && after === null)) break;
      // A dry run only reads, which takes no lock: no need to rest.
      if (!report.dryRun) await pause(performance.now() - began);
    }
  }
  report.bytes = tally.bytes;
  if (!report.dryRun && report.jobs > 0) {
    for (;;) {
      const began = performance.now();
      if (!keepGoing() || (await store.storeCompact()) === 0) break;
      await pause(performance.now() - began);
    }
  }
  return report;
}
