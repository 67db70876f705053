/** Aggregates for `queuectl stats` on PostgreSQL, over indexed ranges (never every job). */
import type pg from 'pg';
import type { StateCounts } from '../../core/job.js';
import type { RunTotals, Stats, StatsParams } from '../job-store.js';
import { due, ready } from './runnable.js';

const FAILED_OUTCOMES = `('failed', 'timed_out', 'spawn_failed', 'worker_lost')`;
/** Duration quantiles, taken at the same ranks as the SQLite store (floor(q * (n - 1))). */
const QUANTILES = [0, 0.5, 0.95, 1] as const;

/** Runs (attempts) and jobs of the queue asked for ($2), or of every queue. */
const IN_QUEUE = '($2::text IS NULL OR queue = $2)';

export async function computeStats(
  db: pg.Pool,
  now: number,
  { sinceMs, queue: only }: StatsParams,
  counts: StateCounts,
): Promise<Stats> {
  const since = now - sinceMs;
  const queue = only ?? null;
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
       FROM attempts WHERE finished_at >= $1 AND ${IN_QUEUE}`,
      [since, queue],
    )
  ).rows[0]!;
  const ended = async (state: 'dead' | 'cancelled') =>
    (
      await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM jobs WHERE state = $3 AND finished_at >= $1 AND ${IN_QUEUE}`,
        [since, queue, state],
      )
    ).rows[0]!;
  const dead = await ended('dead');
  const cancelled = await ended('cancelled');

  let durationMs: Stats['durationMs'] = null;
  if (totals.finished > 0) {
    const ranks = QUANTILES.map((q) => Math.floor(q * (totals.finished - 1)));
    const { rows } = await db.query<{ rank: number; d: number }>(
      `SELECT rank, d FROM (
         SELECT row_number() OVER (ORDER BY finished_at - started_at) - 1 AS rank,
                finished_at - started_at AS d
         FROM attempts WHERE finished_at >= $1 AND ${IN_QUEUE}) ranked
       WHERE rank = ANY($3::bigint[])`,
      [since, queue, ranks],
    );
    const at = (i: number) => rows.find((row) => row.rank === ranks[i])!.d;
    durationMs = { min: at(0), avg: totals.avg ?? 0, p50: at(1), p95: at(2), max: at(3) };
  }

  // Queue lag: the oldest job that is due with its dependencies met, in a queue not paused.
  const oldest = (
    await db.query<{ t: number | null }>(
      `SELECT min(d.t) AS t FROM queues o CROSS JOIN LATERAL (SELECT min(j.run_at) AS t FROM jobs j
         WHERE j.queue = o.name AND ${ready('j')} AND ${due('j', '$1')}) d
       WHERE NOT o.paused AND ($2::text IS NULL OR o.name = $2)`,
      [now, queue],
    )
  ).rows[0]!;

  const perMinute = (
    await db.query<{ minute: number; completed: number; failed: number }>(
      `SELECT (finished_at / 60000) * 60000 AS minute,
         count(*) FILTER (WHERE outcome = 'completed') AS completed,
         count(*) FILTER (WHERE outcome IN ${FAILED_OUTCOMES}) AS failed
       FROM attempts WHERE finished_at >= $1 AND ${IN_QUEUE} GROUP BY 1 ORDER BY 1`,
      [since, queue],
    )
  ).rows.map((row) => ({ minute: row.minute, completed: row.completed, failed: row.failed }));

  return {
    windowMs: sinceMs,
    completed: totals.completed,
    failed: totals.failed,
    dead: dead.n,
    cancelled: cancelled.n,
    retried: totals.retried,
    durationMs,
    oldestWaitingMs: oldest.t === null ? null : Math.max(0, now - oldest.t),
    counts,
    perMinute,
  };
}

/** Totals over every finished run per queue, for /metrics counters and the duration histogram. */
export async function runTotals(
  db: pg.Pool,
  bucketsMs: number[],
): Promise<(RunTotals & { queue: string })[]> {
  const counts = bucketsMs
    .map((_, i) => `, count(*) FILTER (WHERE d <= $${i + 1}::bigint) AS b${i}`)
    .join('');
  const { rows } = await db.query<Record<string, number> & { queue: string }>(
    `SELECT queue, count(*) AS n, COALESCE(sum(d), 0)::bigint AS s,
       count(*) FILTER (WHERE outcome = 'completed') AS completed,
       count(*) FILTER (WHERE outcome IN ${FAILED_OUTCOMES}) AS failed${counts}
     FROM (SELECT queue, finished_at - started_at AS d, outcome FROM attempts
           WHERE finished_at IS NOT NULL) runs
     GROUP BY queue ORDER BY queue`,
    bucketsMs,
  );
  return rows.map((row) => ({
    queue: row.queue,
    count: Number(row.n),
    sumMs: Number(row.s),
    completed: Number(row.completed),
    failed: Number(row.failed),
    buckets: bucketsMs.map((leMs, i) => ({ leMs, count: Number(row[`b${i}`] ?? 0) })),
  }));
}
