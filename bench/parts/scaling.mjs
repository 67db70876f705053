/**
 * The scaling curve: throughput of `--count 1|2|4` × `--concurrency 1|4|16` on `true` and on
 * `sleep 0.05` jobs, each beside `xargs -P<slots>` running the same jobs just before it, on
 * SQLite and (when QUEUECTL_TEST_PG names one) PostgreSQL, with the peak resident memory of each
 * worker process. The table goes to bench/results.md; docs/scaling.md turns it into advice.
 *
 * Headline rows: 800 `sleep 0.05` jobs on one worker with 16 slots against the ideal
 * (800 × 0.05 s / 16), the same jobs through `xargs -P16` against that ideal (where starting a
 * process is slow, no runner comes near it), and that worker's memory while it runs 16 jobs
 * against the same worker idle.
 */
import { clearInterval, setInterval } from 'node:timers';
import { fmt, nowMs, ratio, sleep, waitFor } from '../lib/measure.mjs';
import { rssKiB, run } from '../lib/processes.mjs';
import { jobs, openBenchStore, startWorkers, tempPlace } from '../lib/fixtures.mjs';
import { benchPostgresUrl, freshSchema } from '../lib/postgres.mjs';

const COUNTS = [1, 2, 4];
const CONCURRENCIES = [1, 4, 16];
const SLEEP = 0.05;
let runs = 0;

/** `n` jobs of `command` through xargs with `slots` at once; jobs per second. */
export async function xargsRate(n, slots, command = 'true') {
  const script = `yes '${command}' | head -n ${n} | xargs -P${slots} -I{} /bin/sh -c {}`;
  const result = await run('/bin/sh', ['-c', script]);
  if (result.code !== 0) throw new Error(`xargs exited ${result.code}: ${result.stderr}`);
  return n / (result.ms / 1000);
}

/** Samples the resident memory of `pids` every 50 ms until stopped; keeps each one's peak. */
function sampleRss(pids) {
  const peaks = new Map(pids.map((pid) => [pid, 0]));
  const take = () => {
    for (const pid of pids) {
      try {
        peaks.set(pid, Math.max(peaks.get(pid), rssKiB(pid)));
      } catch {
        // A worker that exited has no more memory to report.
      }
    }
  };
  take();
  const timer = setInterval(take, 50);
  return () => {
    clearInterval(timer);
    take();
    return [...peaks.values()];
  };
}

/**
 * Runs `n` jobs of `command` on `count` workers with `concurrency` slots each, on a fresh SQLite
 * file or on `db`: jobs per second from the insert to the last completion, the workers' peak
 * RSS (KiB, mean over processes) and their RSS while idle just before.
 */
export async function queuectlRun({ n, command, count, concurrency, db }) {
  const place = tempPlace('scaling');
  const location = db ?? place.db;
  const store = await openBenchStore(location);
  try {
    const workers = await startWorkers(place.dir, location, count, store, {}, concurrency);
    try {
      await sleep(300); // the workers finish starting (first heartbeat, first empty claim)
      const idle = workers.pids.map((pid) => rssKiB(pid));
      const stopSampling = sampleRss(workers.pids);
      // Cells on PostgreSQL share one schema: each run's ids are its own, and the jobs of the
      // cells before are already completed.
      const before = (await store.jobCountByState()).completed;
      const started = nowMs();
      await store.jobInsertMany([jobs(n, command, `run${++runs}`)]);
      await waitFor(
        async () => {
          const counts = await store.jobCountByState();
          if (counts.dead + counts.failed > 0) throw new Error(`a \`${command}\` job failed`);
          return counts.completed === before + n;
        },
        { what: `${n} jobs to complete`, timeoutMs: 600_000, intervalMs: 10 },
      );
      const rate = n / ((nowMs() - started) / 1000);
      const peaks = stopSampling();
      const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
      return { rate, peakRssKiB: mean(peaks), idleRssKiB: mean(idle) };
    } finally {
      await workers.stop();
    }
  } finally {
    await store.close();
    place.cleanup();
  }
}

function workloads(quick) {
  return [
    { name: '`true`', command: 'true', jobsFor: () => (quick ? 200 : 1500) },
    {
      name: `\`sleep ${SLEEP}\``,
      command: `sleep ${SLEEP}`,
      // About one second of ideal work at every size.
      jobsFor: (slots) => slots * (quick ? 6 : 20),
    },
  ];
}

async function curve(storeName, db, { quick, log }) {
  const cells = [];
  // --quick (CI: nothing may crash) runs two ends of the curve, 1 process × 1 slot and 4 × 16,
  // every code path of the full curve (several processes, several slots each) in a fifth of
  // its time.
  const shapes = quick
    ? [
        [COUNTS[0], CONCURRENCIES[0]],
        [COUNTS.at(-1), CONCURRENCIES.at(-1)],
      ]
    : COUNTS.flatMap((count) => CONCURRENCIES.map((concurrency) => [count, concurrency]));
  for (const workload of workloads(quick)) {
    for (const [count, concurrency] of shapes) {
      const slots = count * concurrency;
      const n = workload.jobsFor(slots);
      log(`scaling: ${storeName}, ${workload.command}, ${count} × ${concurrency}, ${n} jobs`);
      const xargs = await xargsRate(n, slots, workload.command);
      const queuectl = await queuectlRun({
        n,
        command: workload.command,
        count,
        concurrency,
        db,
      });
      cells.push({
        storeName,
        workload: workload.name,
        count,
        concurrency,
        n,
        xargs,
        ...queuectl,
      });
    }
  }
  return cells;
}

function curveTable(cells) {
  const lines = [
    '| store | jobs | processes × slots | jobs | queuectl | `xargs -P<slots>` | ratio | RSS per worker (peak) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of cells) {
    lines.push(
      `| ${c.storeName} | ${c.workload} | ${c.count} × ${c.concurrency} | ${c.n} | ${fmt(c.rate, 'jobs/s')} | ${fmt(c.xargs, 'jobs/s')} | ${fmt(ratio(c.rate, c.xargs))}× | ${fmt(c.peakRssKiB / 1024, 'MiB')} |`,
    );
  }
  return lines.join('\n');
}

export async function measureScaling(options) {
  const { quick, log } = options;
  // Headline: one worker, 16 slots, 800 sleeps (100 in --quick).
  const n = quick ? 160 : 800;
  log(`scaling: ${n} \`sleep ${SLEEP}\` jobs on 1 worker × 16 slots`);
  // The same jobs through xargs just before: how near the ideal this machine lets anyone come
  // (the ideal means 640 process starts a second, the shell and then `sleep`; where a start
  // costs milliseconds of CPU, that is more than two cores have).
  const xargs16 = await xargsRate(n, 16, `sleep ${SLEEP}`);
  const headline = await queuectlRun({ n, command: `sleep ${SLEEP}`, count: 1, concurrency: 16 });
  const ideal = 16 / SLEEP;
  const cells = await curve('SQLite', undefined, options);
  const url = benchPostgresUrl();
  if (url) {
    const place = freshSchema(url, 'scaling');
    try {
      cells.push(...(await curve('PostgreSQL', place.url, options)));
    } finally {
      await place.drop();
    }
  } else log('scaling: PostgreSQL skipped (set QUEUECTL_TEST_PG to include it)');
  const vsIdeal = ratio(headline.rate, ideal);
  const memory = ratio(headline.peakRssKiB, headline.idleRssKiB);
  return {
    rows: [
      {
        figure: `${n} \`sleep ${SLEEP}\` jobs, \`--count 1 --concurrency 16\``,
        result: fmt(headline.rate, 'jobs/s'),
        baseline: `${fmt(ideal, 'jobs/s')} (ideal: 16 / ${SLEEP} s)`,
        ratio: vsIdeal,
        target: '≥ 0.8×',
        met: vsIdeal >= 0.8,
      },
      {
        figure: `The same ${n} jobs through \`xargs -P16\` (what this machine allows), against the ideal`,
        result: fmt(xargs16, 'jobs/s'),
        baseline: `${fmt(ideal, 'jobs/s')} (ideal); queuectl reached ${fmt(ratio(headline.rate, xargs16))}× of xargs`,
        ratio: ratio(xargs16, ideal),
        target: 'reported',
        met: null,
      },
      {
        figure: 'RSS of one worker process running 16 jobs (peak)',
        result: fmt(headline.peakRssKiB / 1024, 'MiB'),
        baseline: `${fmt(headline.idleRssKiB / 1024, 'MiB')} (the same worker idle)`,
        ratio: memory,
        target: '≤ 1.3×',
        met: memory <= 1.3,
      },
    ],
    details: [
      '## The scaling curve',
      '',
      `Jobs per second from the insert to the last completion; \`xargs -P<slots>\` runs the same jobs just before each cell. \`sleep\` cells have about a second of ideal work at every size (${quick ? 6 : 20} jobs per slot).`,
      '',
      curveTable(cells),
    ],
  };
}
