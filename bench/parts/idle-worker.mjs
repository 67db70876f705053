/**
 * An idle worker: how soon it starts a newly enqueued job after the enqueue's commit (median),
 * how much CPU it burns while waiting, and its resident memory, against a bare idle Node.js
 * process.
 */
import { spawn } from 'node:child_process';
import { fmt, median, ratio, sleep, waitFor } from '../lib/measure.mjs';
import { cpuTimeMs, exited, rssKiB } from '../lib/processes.mjs';
import { openBenchStore, startWorkers, tempPlace } from '../lib/fixtures.mjs';

/** Gives the worker time to finish its post-settle round and go back to waiting. */
const SETTLE_MS = 150;

async function wakeLatencies(store, samples) {
  const latencies = [];
  for (let i = 0; i < samples; i++) {
    const id = `wake-${i}`;
    const job = {
      id,
      command: 'true',
      priority: 0,
      max_retries: 0,
      timeout_seconds: null,
      run_at: null,
    };
    await store.jobInsertMany([[job]]);
    // Date.now(), like the store's started_at: the same clock, so no offset between the two.
    const committed = Date.now();
    const done = await waitFor(
      async () => {
        const stored = await store.jobGet(id);
        return stored?.state === 'completed' && stored;
      },
      { what: `job ${id} to complete`, intervalMs: 5 },
    );
    latencies.push(done.started_at - committed);
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
      latencies = await wakeLatencies(store, samples);
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
    const wake = median(latencies);
    return [
      {
        figure: 'Wake-up: enqueue commit → job claimed, idle worker (median, 1 ms clock)',
        result: `${fmt(wake, 'ms')} (min ${fmt(Math.min(...latencies))}, max ${fmt(Math.max(...latencies))}, n=${samples})`,
        baseline: '-',
        ratio: null,
        target: '≤ 5 ms',
        met: wake <= 5,
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
