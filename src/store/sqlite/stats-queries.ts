/** Aggregates for `queuectl stats`, computed in SQL over indexed ranges (never every job). */
import type Database from 'better-sqlite3';
import type { StateCounts } from '../../core/job.js';
import type { RunTotals, Stats } from '../job-store.js';

const FAILED_OUTCOMES = `('failed', 'timed_out', 'spawn_failed', 'worker_lost')`;

export function computeStats(
  db: Database.Database,
  now: number,
  sinceMs: number,
  counts: StateCounts,
): Stats {
  const since = now - sinceMs;
  const totals = db
    .prepare(
      `SELECT
         COALESCE(SUM(outcome = 'completed'), 0) AS completed,
         COALESCE(SUM(outcome IN ${FAILED_OUTCOMES}), 0) AS failed,
         COUNT(*) AS finished,
         AVG(finished_at - started_at) AS avg
       FROM attempts WHERE finished_at >= :since`,
    )
    .get({ since }) as { completed: number; failed: number; finished: number; avg: number | null };
  const retried = db
    .prepare('SELECT COUNT(*) AS n FROM attempts WHERE finished_at >= :since AND attempt > 1')
    .get({ since }) as { n: number };
  const dead = db
    .prepare(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'dead' AND finished_at >= :since`)
    .get({ since }) as { n: number };

  let durationMs: Stats['durationMs'] = null;
  if (totals.finished > 0) {
    const nth = db.prepare(
      `SELECT finished_at - started_at AS d FROM attempts WHERE finished_at >= :since
       ORDER BY d LIMIT 1 OFFSET :offset`,
    );
    const at = (q: number) =>
      (nth.get({ since, offset: Math.floor(q * (totals.finished - 1)) }) as { d: number }).d;
    durationMs = { min: at(0), avg: totals.avg ?? 0, p50: at(0.5), p95: at(0.95), max: at(1) };
  }

  const oldest = db
    .prepare(
      `SELECT MIN(run_at) AS t FROM jobs WHERE state IN ('pending', 'failed') AND run_at <= :now`,
    )
    .get({ now }) as { t: number | null };

  const perMinute = (
    db
      .prepare(
        `SELECT (finished_at / 60000) * 60000 AS minute,
           SUM(outcome = 'completed') AS completed,
           SUM(outcome IN ${FAILED_OUTCOMES}) AS failed
         FROM attempts WHERE finished_at >= :since GROUP BY 1 ORDER BY 1`,
      )
      .all({ since }) as { minute: number; completed: number; failed: number }[]
  ).map((row) => ({ minute: row.minute, completed: row.completed, failed: row.failed }));

  return {
    windowMs: sinceMs,
    completed: totals.completed,
    failed: totals.failed,
    dead: dead.n,
    retried: retried.n,
    durationMs,
    oldestWaitingMs: oldest.t === null ? null : Math.max(0, now - oldest.t),
    counts,
    perMinute,
  };
}

/** One pass over finished runs, one SUM per bound; bounds are bound as parameters. */
export function runTotals(db: Database.Database, bucketsMs: number[]): RunTotals {
  const sums = bucketsMs.map((_, i) => `, COALESCE(SUM(d <= :b${i}), 0) AS b${i}`).join('');
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(d), 0) AS s,
         COALESCE(SUM(outcome = 'completed'), 0) AS completed,
         COALESCE(SUM(outcome IN ${FAILED_OUTCOMES}), 0) AS failed${sums}
       FROM (SELECT finished_at - started_at AS d, outcome FROM attempts
             WHERE finished_at IS NOT NULL)`,
    )
    .get(Object.fromEntries(bucketsMs.map((b, i) => [`b${i}`, b]))) as Record<string, number>;
  return {
    count: row.n!,
    sumMs: row.s!,
    completed: row.completed!,
    failed: row.failed!,
    buckets: bucketsMs.map((leMs, i) => ({ leMs, count: row[`b${i}`]! })),
  };
}
