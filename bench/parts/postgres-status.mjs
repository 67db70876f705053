/**
 * `queuectl status` on PostgreSQL at a small and a large jobs table: the counts it shows are kept
 * as the jobs change (migration 6), so it should cost the same at a million jobs as at a
 * thousand. The jobs are made in SQL (INSERT ... SELECT FROM generate_series: a million CLI
 * enqueues would take minutes); the statement triggers count them as they go in, and the fold
 * the maintenance leader would run is run before measuring.
 */
import pg from 'pg';
import { fmt, median, ratio } from '../lib/measure.mjs';
import { CLI, cliEnv, run } from '../lib/processes.mjs';
import { tempPlace } from '../lib/fixtures.mjs';
import { freshSchema } from '../lib/postgres.mjs';

/**
 * `count` finished and waiting jobs over three queues, mostly completed as in a long-lived
 * queue: 90% completed, 5% pending, 2% dead, 2% cancelled, 1% failed (waiting for a retry).
 */
async function fillJobs(url, schema, count) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET search_path = "${schema}"`);
    await client.query(`INSERT INTO queues (name) VALUES ('emails'), ('reports')
      ON CONFLICT DO NOTHING`);
    const now = Date.now();
    await client.query(
      `INSERT INTO jobs (id, command, state, max_retries, run_at, created_at, updated_at,
         finished_at, queue)
       SELECT 'bench-' || i, 'true', s.state, 3, $2::bigint + i, $2::bigint + i, $2::bigint + i,
         CASE WHEN s.state IN ('completed', 'dead', 'cancelled') THEN $2::bigint + i END,
         (ARRAY['default', 'emails', 'reports'])[1 + i % 3]
       FROM generate_series(1, $1::int) AS i
         CROSS JOIN LATERAL (SELECT CASE WHEN i % 100 < 90 THEN 'completed'
           WHEN i % 100 < 95 THEN 'pending' WHEN i % 100 < 97 THEN 'dead'
           WHEN i % 100 < 99 THEN 'cancelled' ELSE 'failed' END AS state) s`,
      [count, now - count],
    );
    // As autovacuum would have by then: planner statistics, and a visibility map.
    await client.query('VACUUM ANALYZE jobs');
    await client.query('SELECT fold_job_counts()');
  } finally {
    await client.end();
  }
}

/** A schema holding `count` jobs (made by the CLI's own migrations, then filled in SQL). */
async function schemaWithJobs(url, env, count) {
  const place = freshSchema(url, 'status');
  const made = await run(process.execPath, [CLI, '--db', place.url, 'status'], { env });
  if (made.code !== 0) throw new Error(`status exited ${made.code}: ${made.stderr}`);
  await fillJobs(url, place.schema, count);
  return place;
}

async function statusMs(db, env) {
  const result = await run(process.execPath, [CLI, '--db', db, 'status', '--json'], { env });
  if (result.code !== 0) throw new Error(`status exited ${result.code}: ${result.stderr}`);
  return result.ms;
}

/** The figure: median `status --json` wall time at `big` jobs against 1,000 jobs. */
export async function statusAtScale(url, { quick, log }) {
  const small = 1000;
  const big = quick ? 100_000 : 1_000_000;
  const rounds = quick ? 5 : 11;
  const home = tempPlace('pg-status');
  const env = cliEnv(home.dir);
  const places = [];
  try {
    log(
      `postgres: status at ${small.toLocaleString('en-US')} and ${big.toLocaleString('en-US')} jobs`,
    );
    const smallPlace = await schemaWithJobs(url, env, small);
    places.push(smallPlace);
    const bigPlace = await schemaWithJobs(url, env, big);
    places.push(bigPlace);
    const atSmall = [];
    const atBig = [];
    // Interleaved, after a warm-up round, so that both sizes see the same machine.
    for (let i = -1; i < rounds; i++) {
      const s = await statusMs(smallPlace.url, env);
      const b = await statusMs(bigPlace.url, env);
      if (i < 0) continue;
      atSmall.push(s);
      atBig.push(b);
    }
    const smallMs = median(atSmall);
    const bigMs = median(atBig);
    const r = ratio(bigMs, smallMs);
    return {
      figure: `PostgreSQL \`status\` at ${big.toLocaleString('en-US')} jobs vs 1,000 (median of ${rounds})`,
      result: fmt(bigMs, 'ms'),
      baseline: `${fmt(smallMs, 'ms')} (1,000 jobs)`,
      ratio: r,
      target: '≤ 1.2×',
      met: r <= 1.2,
    };
  } finally {
    for (const place of places) await place.drop();
    home.cleanup();
  }
}
