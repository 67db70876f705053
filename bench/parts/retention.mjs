/**
 * Retention: N jobs (each writing one line of output) pushed through 2 workers with a short
 * keep-completed, fed in batches as the queue drains, while the database (its file and -wal) and
 * the log directory are measured every tenth of the way. With retention working they plateau:
 * the figures at the end are compared with those a fifth of the way in, not with N.
 * Also the cleaner's own pace: `queuectl clean --older-than 0` of 100,000 finished jobs (--quick:
 * 4,000 jobs through the workers and a clean of 10,000).
 */
import { readdirSync, statSync } from 'node:fs';
import { fmt, nowMs, ratio, sleep, waitFor } from '../lib/measure.mjs';
import { runCli } from '../lib/processes.mjs';
import {
  buildJobsDatabase,
  jobs,
  openBenchStore,
  startWorkers,
  tempPlace,
} from '../lib/fixtures.mjs';

const KEEP = '2s';

/** Bytes on disk (allocated blocks) of the files `names` in `dir`. */
function diskBytes(dir, names) {
  let bytes = 0;
  for (const name of names) {
    const stat = statSync(`${dir}/${name}`, { throwIfNoEntry: false });
    if (stat) bytes += stat.blocks * 512;
  }
  return bytes;
}

function databaseBytes(db) {
  const dir = db.slice(0, db.lastIndexOf('/'));
  const base = db.slice(db.lastIndexOf('/') + 1);
  return diskBytes(dir, [base, `${base}-wal`, `${base}-shm`]);
}

function logBytes(db) {
  const dir = `${db}.logs`;
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return { bytes: 0, files: 0 };
  }
  return { bytes: diskBytes(dir, names), files: names.length };
}

const mib = (bytes) => bytes / 1024 / 1024;

async function plateau(count, batchSize, log) {
  const place = tempPlace('retention');
  const store = await openBenchStore(place.db);
  try {
    await store.configSet({ key: 'keep-completed', value: KEEP });
    const workers = await startWorkers(place.dir, place.db, 2, store);
    const samples = [];
    const started = nowMs();
    try {
      let fed = 0;
      let nextSample = count / 10;
      while (fed < count) {
        const batch = jobs(Math.min(batchSize, count - fed), 'echo done', `r${fed}`);
        await store.jobInsertMany([batch]);
        fed += batch.length;
        // Keep a backlog of at most one batch: the queue flows like a long-running one.
        await waitFor(async () => (await store.jobCountByState()).pending < batchSize / 2, {
          timeoutMs: 300_000,
          intervalMs: 50,
          what: 'the backlog to drain',
        });
        if (fed >= nextSample) {
          const logs = logBytes(place.db);
          const counts = await store.jobCountByState();
          samples.push({
            jobs: fed,
            db: databaseBytes(place.db),
            logs: logs.bytes,
            files: logs.files,
            stored: counts.completed + counts.pending + counts.processing,
          });
          log(
            `retention: ${fed} jobs run; database ${fmt(mib(samples.at(-1).db))} MiB, logs ${fmt(mib(logs.bytes))} MiB in ${logs.files} files, ${samples.at(-1).stored} jobs stored`,
          );
          nextSample += count / 10;
        }
      }
      await waitFor(async () => (await store.jobCountByState()).pending === 0, {
        timeoutMs: 300_000,
        what: 'the last jobs',
      });
      await sleep(10);
    } finally {
      await workers.stop();
    }
    return { samples, seconds: (nowMs() - started) / 1000 };
  } finally {
    await store.close();
    place.cleanup();
  }
}

/** `queuectl clean --older-than 0` of `count` finished jobs (each with an attempt record). */
async function cleanPace(count, log) {
  const place = tempPlace('clean');
  try {
    await buildJobsDatabase(place.db, { completed: count, pending: 0 });
    log(`retention: clean of ${count} finished jobs`);
    const result = await runCli(place.dir, [
      'clean',
      '--older-than',
      '0',
      '--json',
      '--db',
      place.db,
    ]);
    const report = JSON.parse(result.stdout);
    if (report.jobs !== count) throw new Error(`clean removed ${report.jobs} of ${count} jobs`);
    return result.ms;
  } finally {
    place.cleanup();
  }
}

export async function measureRetention({ quick, log }) {
  // Fed in batches of a tenth (quick, which CI runs: a smoke run of ~15 s on a 2-core machine
  // starting ~300 processes a second, still ten samples) or 5,000.
  const count = quick ? 4_000 : 200_000;
  const batchSize = quick ? count / 10 : 5000;
  log(`retention: ${count} jobs through 2 workers with keep-completed ${KEEP}`);
  const { samples, seconds } = await plateau(count, batchSize, log);
  const early = samples[1] ?? samples[0];
  const last = samples.at(-1);
  const peakDb = Math.max(...samples.map((s) => s.db));
  const cleanCount = quick ? 10_000 : 100_000;
  const cleanMs = await cleanPace(cleanCount, log);
  const target = 'plateau: ≤ 1.5×';
  return {
    rows: [
      {
        figure: `Database size (file, -wal, -shm) after ${count.toLocaleString('en-US')} jobs, keep-completed ${KEEP}`,
        result: `${fmt(mib(last.db))} MiB (peak ${fmt(mib(peakDb))} MiB)`,
        baseline: `${fmt(mib(early.db))} MiB (after ${early.jobs.toLocaleString('en-US')} jobs)`,
        ratio: ratio(last.db, early.db),
        target,
        met: last.db <= 1.5 * early.db,
      },
      {
        figure: `Log directory after ${count.toLocaleString('en-US')} jobs (on disk)`,
        result: `${fmt(mib(last.logs))} MiB, ${last.files} files`,
        baseline: `${fmt(mib(early.logs))} MiB (after ${early.jobs.toLocaleString('en-US')} jobs)`,
        ratio: ratio(last.logs, early.logs),
        target,
        met: last.logs <= 1.5 * Math.max(early.logs, 64 * 1024),
      },
      {
        figure: `Throughput with the cleaner running (${count.toLocaleString('en-US')} jobs, fed in batches)`,
        result: `${fmt(count / seconds)} jobs/s`,
        baseline: '-',
        ratio: null,
        target: 'reported',
        met: null,
      },
      {
        figure: `\`clean --older-than 0\` of ${cleanCount.toLocaleString('en-US')} finished jobs (CLI wall time)`,
        result: `${fmt(cleanMs / 1000)} s (${fmt(cleanCount / (cleanMs / 1000))} jobs/s)`,
        baseline: '-',
        ratio: null,
        target: 'reported',
        met: null,
      },
    ],
    details: [
      `Retention, every tenth of the way (${count} jobs, keep-completed ${KEEP}):`,
      '',
      ...samples.map(
        (s) =>
          `- ${s.jobs.toLocaleString('en-US')} jobs run: database ${fmt(mib(s.db))} MiB, log directory ${fmt(mib(s.logs))} MiB in ${s.files} files, ${s.stored} jobs stored`,
      ),
    ],
  };
}
