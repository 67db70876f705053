/**
 * PostgreSQL next to SQLite: throughput of 2 workers and the wake-up latency of an idle worker,
 * each measured on both stores in the same run; and `status` at a large jobs table against a
 * small one (postgres-status.mjs). Runs when QUEUECTL_TEST_PG (or
 * QUEUECTL_BENCH_PG) names a database; every run uses a fresh schema, dropped afterwards.
 */
import { fmt, median, ratio, sleep } from '../lib/measure.mjs';
import { openBenchStore, startWorkers, tempPlace } from '../lib/fixtures.mjs';
import { benchPostgresUrl, freshSchema } from '../lib/postgres.mjs';
import { queuectlRateAndCpu } from './throughput.mjs';
import { wakeLatencies } from './idle-worker.mjs';
import { statusAtScale } from './postgres-status.mjs';
import { measurePostgresLoop } from './postgres-loop.mjs';

async function medianWakeUp(db, samples) {
  const place = tempPlace('pg-wake');
  const location = db ?? place.db;
  const store = await openBenchStore(location);
  try {
    const workers = await startWorkers(place.dir, location, 1, store);
    try {
      await sleep(500);
      return median((await wakeLatencies(store, place.dir, samples)).toStart);
    } finally {
      await workers.stop();
    }
  } finally {
    await store.close();
    place.cleanup();
  }
}

/**
 * `pairs` runs on SQLite, each followed by one on PostgreSQL in a fresh schema: every pair's ratio
 * (a busy minute on a shared machine moves one pair's ratio by ±0.15), their median, and the pair
 * whose ratio it is, for its rates and CPU split.
 */
async function throughputPairs(count, url, pairs) {
  const runs = [];
  for (let i = 0; i < pairs; i++) {
    const sqlite = await queuectlRateAndCpu(count);
    const place = freshSchema(url, 'throughput'); // each run starts from an empty table
    let postgres;
    try {
      postgres = await queuectlRateAndCpu(count, place.url);
    } finally {
      await place.drop();
    }
    runs.push({ sqlite, postgres, ratio: ratio(postgres.rate, sqlite.rate) });
  }
  const ratios = runs.map((run) => run.ratio);
  const middle = median(ratios);
  return { ...(runs.find((run) => run.ratio === middle) ?? runs[0]), ratios, middle };
}

/** A run's CPU a job, all of it. */
const cpuTotal = ({ workers, jobs, server }) => workers + jobs + server;

/** `workers 1.2 + their jobs 0.9 + server 1 = 3.1 ms`: where a run's CPU went, per job. */
function cpuSplit(cpu) {
  return `workers ${fmt(cpu.workers)} + their jobs ${fmt(cpu.jobs)} + server ${fmt(cpu.server)} = ${fmt(cpuTotal(cpu), 'ms')}`;
}

/**
 * The throughput runs' CPU a job, both stores, and what PostgreSQL's rate would be with its server
 * on cores of its own: on this machine the server shares the 2 cores with the workers and their
 * jobs, and both runs keep them about equally busy, so the rates go as the inverse of CPU a job.
 */
function cpuRows(sqlite, postgres) {
  const clientSide = postgres.cpu.workers + postgres.cpu.jobs;
  const projected = sqlite.rate * (cpuTotal(sqlite.cpu) / clientSide);
  return [
    {
      figure: 'CPU a job in those runs (ms): PostgreSQL',
      result: cpuSplit(postgres.cpu),
      baseline: `${cpuSplit(sqlite.cpu)} (SQLite, in the workers)`,
      ratio: ratio(cpuTotal(postgres.cpu), cpuTotal(sqlite.cpu)),
      target: 'reported',
      met: null,
    },
    {
      figure: 'PostgreSQL throughput, server on cores of its own (projected from CPU a job)',
      result: `${fmt(projected, 'jobs/s')}`,
      baseline: `${fmt(sqlite.rate, 'jobs/s')} (SQLite, same run)`,
      ratio: ratio(projected, sqlite.rate),
      target: 'reported',
      met: null,
    },
  ];
}

export async function measurePostgres({ quick, log }) {
  const url = benchPostgresUrl();
  if (!url) {
    log('postgres: skipped (set QUEUECTL_TEST_PG=postgres://user@host:5432/db to include it)');
    return [];
  }
  const count = quick ? 300 : 2000;
  const pairs = quick ? 1 : 3;
  const samples = quick ? 5 : 15;
  const place = freshSchema(url);
  const db = place.url;
  try {
    log(`postgres: throughput, ${count} jobs, SQLite then PostgreSQL, ${pairs} pairs`);
    const { sqlite, postgres, ratios, middle } = await throughputPairs(count, url, pairs);
    log(`postgres: wake-up latency, ${samples} samples on each store`);
    const sqliteWake = await medianWakeUp(undefined, samples);
    const pgWake = await medianWakeUp(db, samples);
    const loopPlace = freshSchema(url, 'loop');
    let loop;
    try {
      loop = await measurePostgresLoop(loopPlace.url, { quick, log });
    } finally {
      await loopPlace.drop();
    }
    const status = await statusAtScale(url, { quick, log });
    return [
      {
        figure: `PostgreSQL throughput, 2 workers, ${count} \`true\` jobs${pairs > 1 ? ` (median of ${pairs} pairs of runs; the pairs: ${ratios.map((r) => `${fmt(r)}×`).join(', ')})` : ''}`,
        result: `${fmt(postgres.rate)} jobs/s`,
        baseline: `${fmt(sqlite.rate)} jobs/s (SQLite, same run)`,
        ratio: middle,
        target: '≥ 0.8×',
        met: middle >= 0.8,
      },
      ...cpuRows(sqlite, postgres),
      {
        figure: "PostgreSQL wake-up: enqueue commit → job's command running (median)",
        result: fmt(pgWake, 'ms'),
        baseline: `${fmt(sqliteWake, 'ms')} (SQLite, same run)`,
        ratio: ratio(pgWake, sqliteWake),
        target: 'reported',
        met: null,
      },
      loop,
      status,
    ];
  } finally {
    await place.drop();
  }
}
