/**
 * Throughput: N jobs of `true` on 2 slots — 2 worker processes, and 1 process with 2 slots —
 * from the enqueue's commit to the last job's completion, against `xargs -P2` and a plain Node.js
 * loop spawning `/bin/sh -c true` 2 at a time, all in the same run.
 */
import { spawn } from 'node:child_process';
import { pickLauncher } from '../../dist/worker/launcher.js';
import { fmt, nowMs, ratio, waitFor } from '../lib/measure.mjs';
import { cpuTicks, postgresTicks, run, TICK_MS } from '../lib/processes.mjs';
import { jobs, openBenchStore, startWorkers, tempPlace } from '../lib/fixtures.mjs';

const CONCURRENCY = 2;

/**
 * Jobs per second of `workers` processes with `concurrency` slots each (2 × 1 unless told) on a
 * fresh SQLite file, or on `db` (a PostgreSQL URL) if given; `env` is added to the workers'
 * environment.
 */
export async function queuectlRate(count, db, env = {}, shape = {}) {
  return (await queuectlRateAndCpu(count, db, env, shape)).rate;
}

/**
 * queuectlRate, and where the machine's CPU went, in ms a job: the worker processes themselves,
 * the jobs they ran (their reaped children), and every process of the `postgres` user (the
 * server, when it runs here; about nothing on a SQLite run).
 */
export async function queuectlRateAndCpu(
  count,
  db,
  env = {},
  { workers: processes = 2, concurrency = 1 } = {},
) {
  const place = tempPlace('throughput');
  const location = db ?? place.db;
  const store = await openBenchStore(location);
  try {
    const workers = await startWorkers(place.dir, location, processes, store, env, concurrency);
    try {
      const ticksBefore = runTicks(workers.pids);
      const started = nowMs();
      await store.jobInsertMany([jobs(count)]);
      await waitFor(
        async () => {
          const counts = await store.jobCountByState();
          if (counts.dead + counts.failed > 0) throw new Error('a `true` job failed');
          return counts.completed === count;
        },
        { what: `${count} jobs to complete`, timeoutMs: 300_000, intervalMs: 20 },
      );
      const rate = count / ((nowMs() - started) / 1000);
      const ticksAfter = runTicks(workers.pids);
      const msAJob = (key) => ((ticksAfter[key] - ticksBefore[key]) * TICK_MS) / count;
      return {
        rate,
        cpu: { workers: msAJob('workers'), jobs: msAJob('jobs'), server: msAJob('server') },
      };
    } finally {
      await workers.stop();
    }
  } finally {
    await store.close();
    place.cleanup();
  }
}

/** CPU ticks of the worker processes, of the children they reaped (jobs), and of the server. */
function runTicks(pids) {
  let workers = 0;
  let jobsRun = 0;
  for (const pid of pids) {
    const ticks = cpuTicks(pid);
    if (!ticks) continue;
    workers += ticks.own;
    jobsRun += ticks.reaped;
  }
  return { workers, jobs: jobsRun, server: postgresTicks() ?? 0 };
}

function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
}

/** The baseline: a plain Node.js loop keeping CONCURRENCY `/bin/sh -c true` running. */
async function nodeLoopRate(count) {
  let next = 0;
  const started = nowMs();
  const lane = async () => {
    while (next < count) {
      next++;
      await spawnTrue();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return count / ((nowMs() - started) / 1000);
}

async function xargsRate(count) {
  const script = `yes true | head -n ${count} | xargs -P${CONCURRENCY} -n1 /bin/sh -c`;
  const result = await run('/bin/sh', ['-c', script]);
  if (result.code !== 0) throw new Error(`xargs exited ${result.code}: ${result.stderr}`);
  return count / (result.ms / 1000);
}

export async function measureThroughput({ quick, log }) {
  const count = quick ? 500 : 5000;
  const jobsText = `${count.toLocaleString('en-US')} \`true\` jobs`;
  // The machine is shared: baselines run before and after queuectl and are averaged, so a
  // change of load during the run does not favour either side.
  log(`throughput: ${count} jobs, node loop and xargs -P2 baselines (before)`);
  const nodeBefore = await nodeLoopRate(count);
  const xargsBefore = await xargsRate(count);
  const launcher = pickLauncher(undefined).name;
  log(`throughput: queuectl, 2 workers (jobs started with ${launcher})`);
  const queuectl = await queuectlRate(count);
  log('throughput: queuectl, 1 worker with 2 slots');
  const slotted = await queuectlRate(count, undefined, {}, { workers: 1, concurrency: 2 });
  log('throughput: queuectl, 2 workers, jobs started with child_process (the fallback)');
  const forked = await queuectlRate(count, undefined, { QUEUECTL_LAUNCHER: 'child_process' });
  log('throughput: baselines (after)');
  const baseline = (nodeBefore + (await nodeLoopRate(count))) / 2;
  const xargs = (xargsBefore + (await xargsRate(count))) / 2;
  const node = `${fmt(baseline, 'jobs/s')} (Node loop, 2 at a time; mean of before and after)`;
  const vsXargs = `${fmt(xargs, 'jobs/s')} (\`xargs -P2\`; mean of before and after)`;
  const twoWorkers = ratio(queuectl, xargs);
  const oneWorker = ratio(slotted, xargs);
  return [
    {
      figure: `${jobsText}, \`--count 2\` (${launcher})`,
      result: fmt(queuectl, 'jobs/s'),
      baseline: vsXargs,
      ratio: twoWorkers,
      target: '≥ 0.6×',
      met: twoWorkers >= 0.6,
    },
    {
      figure: `${jobsText}, \`--count 1 --concurrency 2\``,
      result: fmt(slotted, 'jobs/s'),
      baseline: vsXargs,
      ratio: oneWorker,
      target: '≥ 0.6×',
      met: oneWorker >= 0.6,
    },
    {
      figure: `${jobsText}, \`--count 2\`, against a Node.js loop`,
      result: fmt(queuectl, 'jobs/s'),
      baseline: node,
      ratio: ratio(queuectl, baseline),
      target: '≥ 0.8×',
      met: ratio(queuectl, baseline) >= 0.8,
    },
    {
      figure: 'The same with the fallback launcher (`QUEUECTL_LAUNCHER=child_process`)',
      result: fmt(forked, 'jobs/s'),
      baseline: node,
      ratio: ratio(forked, baseline),
      target: 'reported',
      met: null,
    },
  ];
}
