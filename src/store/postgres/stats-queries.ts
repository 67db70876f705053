/** Aggregates for `queuectl stats` on PostgreSQL, over indexed ranges (never every job). */
import type pg from 'pg';
import type { StateCounts } from '../../core/job.js';
import type { RunTotals, Stats } from '../job-store.js';

const FAILED_OUTCOMES = `('failed', 'timed_out', 'spawn_failed', 'worker_lost')`;
/** Duration quantiles, taken at the same ranks as the SQLite store (floor(q * (n - 1))). */
const QUANTILES = [0, 0.5, 0.95, 1] as const;

export async function computeStats(
  db: pg.Pool,
  now: number,
  sinceMs: number,
  counts: StateCounts,
): Promise<Stats> {
  const since = now - sinceMs;
  const totals = (
    await db.query<{
      completed: number;
      failed: number;
      finished: number;
      retried: number;
      avg: number | null;
    }>(
      `SELECT count(*) FILTER (WHERE outcome = 'completed') AS completed,
         count(*) FILTER (WHERE outcome IN ${FAILED_OUTCOMES}) AS failed,
         count(*) FILTER (WHERE attempt > 1) AS retried,
         count(*) AS finished,
         avg(finished_at - started_at)::float8 AS avg
       FROM attempts WHERE finished_at >= $1`,
      [since],
    )
  ).rows[0]!;
  const dead = (
    await db.query<{ n: number }>(
      `SELECT count(*) AS n FROM jobs WHERE state = 'dead' AND finished_at >= $1`,
      [since],
    )
  ).rows[0]!;

  let durationMs: Stats['durationMs'] = null;
  if (totals.finished > 0) {
    const ranks = QUANTILES.map((q) => Math.floor(q * (totals.finished - 1)));
    const { rows } = await db.query<{ rank: number; d: number }>(
      `SELECT rank, d FROM (
         SELECT row_number() OVER (ORDER BY finished_at - started_at) - 1 AS rank,
                finished_at - started_at AS d
         FROM attempts WHERE finished_at >= $1) ranked
       WHERE rank = ANY($2::bigint[])`,
      [since, ranks],
    );
    const at = (i: number) => rows.find((row) => row.rank === ranks[i])!.d;
    durationMs = { min: at(0), avg: totals.avg ?? 0, p50: at(1), p95: at(2), max: at(3) };
  }

  const oldest = (
    await db.query<{ t: number | null }>(
      `SELECT min(run_at) AS t FROM jobs WHERE state IN ('pending', 'failed') AND run_at <= $1`,
      [now],
    )
  ).rows[0]!;

  const perMinute = (
    await db.query<{ minute: number; completed: number; failed: number }>(
      `SELECT (finished_at / 60000) * 60000 AS minute,
         count(*) FILTER (WHERE outcome = 'completed') AS completed,
         count(*) FILTER (WHERE outcome IN ${FAILED_OUTCOMES}) AS failed
       FROM attempts WHERE finished_at >= $1 GROUP BY 1 ORDER BY 1`,
      [since],
    )
  ).rows.map((row) => ({ minute: row.minute, completed: row.completed, failed: row.failed }));

  return {
    windowMs: sinceMs,
    completed: totals.completed,
    failed: totals.failed,
    dead: dead.n,
    retried: totals.retried,
    durationMs,
    oldestWaitingMs: oldest.t === null ? null : Math.max(0, now - oldest.t),
    counts,
    perMinute,
  };
}

/** Totals over every finished run, for /metrics counters and the run-duration histogram. */
export async function runTotals(db: pg.Pool, bucketsMs: number[]): Promise<RunTotals> {
  const row = (
    await db.query<{ n: number; s: number; completed: number; failed: number; buckets: number[] }>(
      `WITH runs AS (
         SELECT finished_at - started_at AS d, outcome FROM attempts WHERE finished_at IS NOT NULL)
       SELECT count(*) AS n, COALESCE(sum(d), 0)::bigint AS s,
         count(*) FILTER (WHERE outcome = 'completed') AS completed,
         count(*) FILTER (WHERE outcome IN ${FAILED_OUTCOMES}) AS failed,
         ARRAY(SELECT (SELECT count(*) FROM runs WHERE d <= u.b)
               FROM unnest($1::bigint[]) WITH ORDINALITY AS u(b, i) ORDER BY u.i) AS buckets
       FROM runs`,
      [bucketsMs],
    )
  ).rows[0]!;
  return {
    count: row.n,
    sumMs: Number(row.s),
    completed: row.completed,
    failed: row.failed,
    buckets: bucketsMs.map((leMs, i) => ({ leMs, count: Number(row.buckets[i] ?? 0) })),
  };
}
