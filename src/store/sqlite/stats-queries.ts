/** Aggregates for `queuectl stats`, computed in SQL over indexed ranges (never every job). */
import type Database from 'better-sqlite3';
import type { StateCounts } from '../../core/job.js';
import type { RunTotals, Stats, StatsParams } from '../job-store.js';
import { DUE, READY } from './statements.js';

const FAILED_OUTCOMES = `('failed', 'timed_out', 'spawn_failed', 'worker_lost')`;

/** Runs (attempts) and jobs of the queue asked for, or of every queue. */
const IN_QUEUE = '(:queue IS NULL OR queue = :queue)';

export function computeStats(
  db: Database.Database,
  now: number,
  { sinceMs, queue: only }: StatsParams,
  counts: StateCounts,
): Stats {
  const since = now - sinceMs;
  const queue = only ?? null;
  const totals = db
    .prepare(
      `SELECT
         COALESCE(SUM(outcome = 'completed'), 0) AS completed,
         COALESCE(SUM(outcome IN ${FAILED_OUTCOMES}), 0) AS failed,
         COUNT(*) AS finished,
         AVG(finished_at - started_at) AS avg
       FROM attempts WHERE finished_at >= :since AND ${IN_QUEUE}`,
    )
    .get({ since, queue }) as {
    completed: number;
    failed: number;
    finished: number;
    avg: number | null;
  };
  const retried = db
    .prepare(
      `SELECT COUNT(*) AS n FROM attempts WHERE finished_at >= :since AND attempt > 1 AND ${IN_QUEUE}`,
    )
    .get({ since, queue }) as { n: number };
  const ended = db.prepare(
    `SELECT COUNT(*) AS n FROM jobs WHERE state = :state AND finished_at >= :since AND ${IN_QUEUE}`,
  );
  const dead = ended.get({ state: 'dead', since, queue }) as { n: number };
  const cancelled = ended.get({ state: 'cancelled', since, queue }) as { n: number };

  let durationMs: Stats['durationMs'] = null;
  if (totals.finished > 0) {
    const nth = db.prepare(
      `SELECT finished_at - started_at AS d FROM attempts WHERE finished_at >= :since
       AND ${IN_QUEUE} ORDER BY d LIMIT 1 OFFSET :offset`,
    );
    const at = (q: number) =>
      (nth.get({ since, queue, offset: Math.floor(q * (totals.finished - 1)) }) as { d: number }).d;
    durationMs = { min: at(0), avg: totals.avg ?? 0, p50: at(0.5), p95: at(0.95), max: at(1) };
  }

  // Queue lag: the oldest job that is due with its dependencies met, in a queue not paused.
  const oldest = db
    .prepare(
      `SELECT min((SELECT min(run_at) FROM jobs INDEXED BY jobs_due
         WHERE queue = q.name AND ${READY} AND ${DUE})) AS t
       FROM queues q WHERE q.paused = 0 AND (:queue IS NULL OR q.name = :queue)`,
    )
    .get({ now, queue }) as { t: number | null };

  const perMinute = (
    db
      .prepare(
        `SELECT (finished_at / 60000) * 60000 AS minute,
           SUM(outcome = 'completed') AS completed,
           SUM(outcome IN ${FAILED_OUTCOMES}) AS failed
         FROM attempts WHERE finished_at >= :since AND ${IN_QUEUE} GROUP BY 1 ORDER BY 1`,
      )
      .all({ since, queue }) as { minute: number; completed: number; failed: number }[]
  ).map((row) => ({ minute: row.minute, completed: row.completed, failed: row.failed }));

  return {
    windowMs: sinceMs,
    completed: totals.completed,
    failed: totals.failed,
    dead: dead.n,
    cancelled: cancelled.n,
    retried: retried.n,
    durationMs,
    oldestWaitingMs: oldest.t === null ? null : Math.max(0, now - oldest.t),
    counts,
    perMinute,
  };
}

/** One pass over finished runs, per queue, one SUM per bound; bounds are bound as parameters. */
export function runTotals(
  db: Database.Database,
  bucketsMs: number[],
): (RunTotals & { queue: string })[] {
  const sums = bucketsMs.map((_, i) => `, COALESCE(SUM(d <= :b${i}), 0) AS b${i}`).join('');
  const rows = db
    .prepare(
      `SELECT queue, COUNT(*) AS n, COALESCE(SUM(d), 0) AS s,
         COALESCE(SUM(outcome = 'completed'), 0) AS completed,
         COALESCE(SUM(outcome IN ${FAILED_OUTCOMES}), 0) AS failed${sums}
       FROM (SELECT queue, finished_at - started_at AS d, outcome FROM attempts
             WHERE finished_at IS NOT NULL)
       GROUP BY queue ORDER BY queue`,
    )
    .all(Object.fromEntries(bucketsMs.map((b, i) => [`b${i}`, b]))) as Record<string, number>[];
  return rows.map((row) => ({
    queue: row.queue as unknown as string,
    count: row.n!,
    sumMs: row.s!,
    completed: row.completed!,
    failed: row.failed!,
    buckets: bucketsMs.map((leMs, i) => ({ leMs, count: row[`b${i}`]! })),
  }));
}
