/**
 * A claim behind a backlog of jobs not yet due (retries waiting out their backoff, jobs enqueued
 * with a delay), against the same claim with no backlog, on SQLite and (when configured)
 * PostgreSQL. Claim order puts a priority's due jobs first in the index (SQLite migration 5,
 * PostgreSQL migration 7), so the backlog should cost nothing; before, each claim walked past it.
 * The backlog is enqueued first (lower seq) at the same priority, as retries of a failed burst.
 */
import { performance } from 'node:perf_hooks';
import { fmt, median, ratio } from '../lib/measure.mjs';
import { jobs, openBenchStore, tempPlace } from '../lib/fixtures.mjs';
import { benchPostgresUrl, freshSchema } from '../lib/postgres.mjs';

const WORKER = { id: 'bench-worker', host: 'bench', pid: process.pid, pidStart: null };
const completed = { outcome: 'completed', exitCode: 0, signal: null, error: null };

/** Median ms of one claim (settled after, untimed) over `samples` due jobs, behind `backlog`. */
async function claimMs(db, backlog, samples) {
  const store = await openBenchStore(db, false);
  try {
    const later = Date.now() + 86_400_000;
    const waiting = jobs(backlog, 'true', 'later').map((job) => ({ ...job, run_at: later }));
    await store.jobInsertMany([waiting, jobs(samples, 'true', 'due')]);
    await store.workerRegister(WORKER);
    const times = [];
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      const claimed = await store.jobClaim({ workerId: WORKER.id, leaseMs: 60_000 });
      times.push(performance.now() - started);
      if (!claimed || !claimed.job.id.startsWith('due-')) throw new Error('claimed the wrong job');
      await store.jobSettle({ lease: claimed.lease, run: completed, next: { state: 'completed' } });
    }
    return median(times);
  } finally {
    await store.close();
  }
}

/** The claim with no backlog and behind one, each on a place of its own (`db`, then `done()`). */
async function emptyAndBehind(places, backlog, samples) {
  try {
    return [await claimMs(places[0].db, 0, samples), await claimMs(places[1].db, backlog, samples)];
  } finally {
    for (const place of places) await place.done();
  }
}

const sqlitePlace = (name) => {
  const place = tempPlace(name);
  return { db: place.db, done: place.cleanup };
};

const postgresPlace = (url) => {
  const place = freshSchema(url, 'claim');
  return { db: place.url, done: place.drop };
};

function figure(store, backlog, [empty, behind]) {
  return {
    figure: `${store}: a claim behind ${backlog.toLocaleString('en-US')} jobs not yet due (median)`,
    result: fmt(behind, 'ms'),
    baseline: `${fmt(empty, 'ms')} (no backlog, same run)`,
    ratio: ratio(behind, empty),
    target: '≤ 1.5×',
    met: ratio(behind, empty) <= 1.5,
  };
}

export async function measureClaimBacklog({ quick, log }) {
  const backlog = quick ? 20_000 : 100_000;
  const samples = quick ? 100 : 300;
  log(`claim-backlog: ${samples} claims behind ${backlog} jobs not yet due, SQLite`);
  const sqlite = [sqlitePlace('claim-empty'), sqlitePlace('claim-backlog')];
  const rows = [figure('SQLite', backlog, await emptyAndBehind(sqlite, backlog, samples))];
  const url = benchPostgresUrl();
  if (url) {
    log(`claim-backlog: the same on PostgreSQL`);
    const places = [postgresPlace(url), postgresPlace(url)];
    rows.push(figure('PostgreSQL', backlog, await emptyAndBehind(places, backlog, samples)));
  }
  return rows;
}
