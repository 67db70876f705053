/**
 * `queuectl wait <id...> [--timeout D] [--json]`: blocks until every named job has finished
 * (completed, dead or cancelled), woken by the store's change notifications. Exit status, as a
 * shell script wants it: with one job, the exit code of its last run (0 completed, 128+n killed
 * by signal n, 1 cancelled or never run); with several, 0 if all completed, else 1; 124 when
 * --timeout runs out first (as timeout(1)).
 */
import { constants } from 'node:os';
import type { Attempt, Job } from '../../core/job.js';
import type { Queue } from '../../core/queue.js';
import { waitForJobs } from '../../core/wait.js';
import { formatDuration } from '../../core/units.js';
import type { PlainCommand } from '../command-spec.js';
import { withQueue } from '../context.js';
import { toJson } from '../output.js';

export const TIMED_OUT_EXIT = 124;

/** A run's exit status as a shell reports it: its code, 128+n for signal n; 1 otherwise. */
export function runExitStatus(run: Attempt | undefined): number {
  if (run === undefined || run.outcome === 'cancelled') return 1;
  if (run.outcome === 'completed') return 0;
  if (run.exit_code !== null && run.exit_code !== 0) return run.exit_code;
  const signal = run.signal as keyof typeof constants.signals | null;
  if (signal && constants.signals[signal] !== undefined) return 128 + constants.signals[signal];
  return 1;
}

/** The exit status a finished job stands for: 0 completed, 1 cancelled, else its last run's. */
export function exitStatusOf(job: Job, lastAttempt: Attempt | undefined): number {
  if (job.state === 'completed') return 0;
  if (job.state === 'cancelled') return 1;
  return runExitStatus(lastAttempt);
}

function describe(job: Job, status: number): string {
  if (job.state === 'completed') return `${job.id}: completed`;
  if (job.state === 'cancelled') return `${job.id}: cancelled`;
  return `${job.id}: dead (exit status ${status}${job.last_error ? `: ${job.last_error}` : ''})`;
}

export interface WaitOptions {
  /** Milliseconds. */
  timeout?: number;
}

export async function waitCommandRun(
  queue: Queue,
  ids: string[],
  opts: WaitOptions & { json?: boolean },
): Promise<number> {
  const { jobs, timedOut } = await waitForJobs(queue, ids, { timeoutMs: opts.timeout });
  const statuses = await Promise.all(
    jobs.map(async (job) => {
      const { attempts } = await queue.show(job.id);
      return exitStatusOf(job, attempts[attempts.length - 1]);
    }),
  );
  if (opts.json) {
    const finished = jobs.map((job, i) => ({ ...job, exit_status: statuses[i] }));
    process.stdout.write(`${toJson({ timed_out: timedOut, jobs: finished })}\n`);
  } else {
    const lines = jobs
      .map((job, i) =>
        ['completed', 'dead', 'cancelled'].includes(job.state) ? describe(job, statuses[i]!) : null,
      )
      .filter((line): line is string => line !== null);
    if (timedOut) {
      const waiting = jobs.filter((job) => !['completed', 'dead', 'cancelled'].includes(job.state));
      lines.push(
        `timed out after ${formatDuration(opts.timeout!)}; still ${waiting.map((job) => `${job.id} (${job.state})`).join(', ')}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (timedOut) return TIMED_OUT_EXIT;
  if (jobs.length === 1) return statuses[0]!;
  return jobs.every((job) => job.state === 'completed') ? 0 : 1;
}

export const waitCommand: PlainCommand<WaitOptions> = {
  kind: 'plain',
  run: ({ args, opts }) => withQueue(opts, (queue) => waitCommandRun(queue, args, opts)),
};
