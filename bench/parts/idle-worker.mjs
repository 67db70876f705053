/**
 * An idle worker: how soon it starts a newly enqueued job after the enqueue's commit (median),
 * how much CPU it burns while waiting, and its resident memory, against a bare idle Node.js
 * process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, ratio, sleep, waitFor } from '../lib/measure.mjs';
import { cpuTimeMs, exited, rssKiB } from '../lib/processes.mjs';
import { openBenchStore, startWorkers, tempPlace } from '../lib/fixtures.mjs';

/** Gives the worker time to finish its post-settle round and go back to waiting. */
const SETTLE_MS = 150;

/**
 * For each sample: enqueue (durably, as the CLI does) a job whose command records the time it
 * started (`date +%s%N`, the same wall clock as Date.now()), and measure from the enqueue's
 * return (the commit) to that time. This includes the worker's wake-up, its claim, and starting
 * `/bin/sh` and `date`: the real "job start". The claim time (started_at) is reported alongside.
 */
export async function wakeLatencies(store, dir, samples) {
  const toStart = [];
  const toClaim = [];
  for (let i = 0; i < samples; i++) {
    const id = `wake-${i}`;
    const stamp = join(dir, `${id}.start`);
    const job = {
      id,
      command: `date +%s%N > ${stamp}`,
      priority: 0,
      max_retries: 0,
      timeout_seconds: null,
      run_at: null,
      cwd: null,
      env: null,
      queue: 'default',
      unique_key: null,
      after: [],
    };
    await store.jobInsertMany([[job]]);
    const committed = Date.now();
    const done = await waitFor(
      async () => {
        const stored = await store.jobGet(id);
        if (stored?.state === 'dead') throw new Error(`wake-up job failed: ${stored.last_error}`);
        return stored?.state === 'completed' && stored;
      },
      { what: `job ${id} to complete`, intervalMs: 5 },
    );
    const startedNs = BigInt(readFileSync(stamp, 'utf8').trim());
    toStart.push(Number(startedNs / 1000n) / 1000 - committed);
    toClaim.push(done.started_at - committed);
    await sleep(SETTLE_MS);
  }
  return { toStart, toClaim };
}

/** The floor: this process spawning the same command directly, from Date.now() to its stamp. */
async function directSpawnLatencies(dir, samples) {
  const latencies = [];
  for (let i = 0; i < samples; i++) {
    const stamp = join(dir, `direct-${i}.start`);
    const started = Date.now();
    await new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', `date +%s%N > ${stamp}`], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    latencies.push(Number(BigInt(readFileSync(stamp, 'utf8').trim()) / 1000n) / 1000 - started);
    await sleep(SETTLE_MS);
  }
  return latencies;
}

async function bareNodeRssKiB() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await sleep(500);
    return rssKiB(child.pid);
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
}

export async function measureIdleWorker({ quick, log }) {
  const samples = quick ? 7 : 25;
  const idleSeconds = quick ? 3 : 10;
  const place = tempPlace('idle');
  const store = await openBenchStore(place.db);
  try {
    const workers = await startWorkers(place.dir, place.db, 1, store);
    let latencies, cpuShare, rss;
    try {
      await sleep(500);
      log(`idle worker: wake-up latency, ${samples} samples`);
      latencies = await wakeLatencies(store, place.dir, samples);
      log(`idle worker: CPU over ${idleSeconds} s`);
      const pid = workers.pids[0];
      const before = cpuTimeMs(pid);
      await sleep(idleSeconds * 1000);
      cpuShare = (cpuTimeMs(pid) - before) / (idleSeconds * 1000);
      rss = rssKiB(pid);
    } finally {
      await workers.stop();
    }
    const bareRss = await bareNodeRssKiB();
    const direct = median(await directSpawnLatencies(place.dir, samples));
    const wake = median(latencies.toStart);
    const claim = median(latencies.toClaim);
    const spread = (values) => `min ${fmt(Math.min(...values))}, max ${fmt(Math.max(...values))}`;
    return [
      {
        figure: "Wake-up: enqueue commit → job's command running, idle worker (median)",
        result: `${fmt(wake, 'ms')} (${spread(latencies.toStart)}, n=${samples})`,
        baseline: `${fmt(direct, 'ms')} (Node spawning the same command directly)`,
        ratio: ratio(wake, direct),
        target: '≤ 5 ms',
        met: wake <= 5,
      },
      {
        figure: 'Wake-up: enqueue commit → claim begins (started_at, 1 ms clock)',
        result: `${fmt(claim, 'ms')} (${spread(latencies.toClaim)})`,
        baseline: '-',
        ratio: null,
        target: 'reported',
        met: null,
      },
      {
        figure: `CPU of an idle worker over ${idleSeconds} s`,
        result: `${fmt(cpuShare * 100, '%')} of a core`,
        baseline: '-',
        ratio: null,
        target: '< 1%',
        met: cpuShare < 0.01,
      },
      {
        figure: 'RSS of an idle worker',
        result: fmt(rss / 1024, 'MiB'),
        baseline: `${fmt(bareRss / 1024, 'MiB')} (idle \`node -e\`)`,
        ratio: ratio(rss, bareRss),
        target: '< 80 MiB',
        met: rss / 1024 < 80,
      },
    ];
  } finally {
    await store.close();
    place.cleanup();
  }
}
