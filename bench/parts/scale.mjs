/**
 * Scale: with 1,000,000 jobs (90% completed, 10% pending) against 1,000 jobs, the cost of claiming and
 * settling a job (in-process, as a worker does it), `status` and `list --limit 50` (in-process and
 * through the CLI), and the query plans of the hot statements. Then the same claim with the jobs
 * spread over 100 queues, 10 of them paused (their pending jobs never claimable) and 10 limited.
 */
import { Queue } from '../../dist/core/queue.js';
import { fmt, median, nowMs, ratio } from '../lib/measure.mjs';
import { runCli } from '../lib/processes.mjs';
import { buildJobsDatabase, openBenchStore, tempPlace } from '../lib/fixtures.mjs';
import { queryPlans } from './query-plans.mjs';

const ROUNDS = 3;
const QUEUES = 100;
const PAUSED = 10;
const LIMITED = 10;

/** Claims and settles `count` jobs as one worker; returns the time of each claim+settle (ms). */
async function claimSettle(db, count) {
  const store = await openBenchStore(db, false);
  const workerId = `w-bench-${process.pid}`;
  try {
    await store.workerRegister({ id: workerId, host: 'bench', pid: process.pid, pidStart: null });
    const times = [];
    for (let i = 0; i < count; i++) {
      const started = nowMs();
      const claimed = await store.jobClaim({ workerId, leaseMs: 60_000 });
      if (!claimed) throw new Error('no job left to claim');
      const settled = await store.jobSettle({
        lease: claimed.lease,
        run: { outcome: 'completed', exitCode: 0, signal: null, error: null },
        next: { state: 'completed' },
      });
      if (!settled) throw new Error('settle refused');
      times.push(nowMs() - started);
    }
    await store.workerDeregister({ workerId });
    return times;
  } finally {
    await store.close();
  }
}

/** Opening the store and answering, as one CLI command does after start-up (ms, median). */
async function inProcess(db, work, times = 15) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const started = nowMs();
    const queue = new Queue(await openBenchStore(db));
    await work(queue);
    await queue.close();
    samples.push(nowMs() - started);
  }
  return median(samples);
}

/** CLI wall time at the big and the small database, runs interleaved (ms, medians). */
async function cliMedians(home, args, big, small, times) {
  const samples = { big: [], small: [] };
  for (let i = 0; i < times; i++) {
    samples.big.push((await runCli(home, [...args, '--db', big])).ms);
    samples.small.push((await runCli(home, [...args, '--db', small])).ms);
  }
  return [median(samples.big), median(samples.small)];
}

export async function measureScale({ quick, log }) {
  const bigCount = quick ? 100_000 : 1_000_000;
  const claims = quick ? 150 : 600;
  const cliTimes = quick ? 3 : 11;
  const place = tempPlace('scale');
  const small = `${place.dir}/small.db`;
  const big = `${place.dir}/big.db`;
  try {
    const started = nowMs();
    // 90% completed, 10% a pending backlog: the claim must not get slower with the backlog.
    const backlog = bigCount / 10;
    await buildJobsDatabase(big, { completed: bigCount - backlog, pending: backlog });
    const buildSeconds = (nowMs() - started) / 1000;
    log(`scale: built ${bigCount} jobs in ${fmt(buildSeconds, 's')}`);
    await buildJobsDatabase(small, { completed: 1000 - claims, pending: claims });

    const perDb = { [small]: [], [big]: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const db of [small, big]) perDb[db].push(...(await claimSettle(db, claims / ROUNDS)));
    }
    const claimSmall = median(perDb[small]);
    const claimBig = median(perDb[big]);

    const deepId = `done-${Math.floor(bigCount / 2)}`;
    const status = (queue) => queue.status();
    const list = (queue) => queue.list({ limit: 50 });
    const page = (queue) => queue.list({ limit: 50, before: deepId });
    const statusBig = await inProcess(big, status);
    const statusSmall = await inProcess(small, status);
    const listBig = await inProcess(big, list);
    const listSmall = await inProcess(small, list);
    const pageBig = await inProcess(big, page);
    log('scale: CLI status and list');
    const [cliStatusBig, cliStatusSmall] = await cliMedians(
      place.dir,
      ['status'],
      big,
      small,
      cliTimes,
    );
    const [cliListBig, cliListSmall] = await cliMedians(
      place.dir,
      ['list', '--limit', '50'],
      big,
      small,
      cliTimes,
    );

    log('scale: 100 queues, some paused, some limited');
    const spread = { queues: QUEUES, paused: PAUSED, limited: LIMITED };
    const big100 = `${place.dir}/big-100.db`;
    const small100 = `${place.dir}/small-100.db`;
    await buildJobsDatabase(big100, { completed: bigCount - backlog, pending: backlog, ...spread });
    // Enough pending jobs outside the paused queues for every claim.
    const smallPending = Math.ceil(claims / ((QUEUES - PAUSED) / QUEUES)) + QUEUES;
    await buildJobsDatabase(small100, {
      completed: 1000 - smallPending,
      pending: smallPending,
      ...spread,
    });
    const per100 = { [small100]: [], [big100]: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const db of [small100, big100]) {
        per100[db].push(...(await claimSettle(db, claims / ROUNDS)));
      }
    }
    const claim100Small = median(per100[small100]);
    const claim100Big = median(per100[big100]);
    const claim100Ratio = ratio(claim100Big, claim100Small);

    const plans = queryPlans(big);
    const scans = plans.filter((plan) => plan.fullScans.length > 0);
    const n = bigCount.toLocaleString('en-US');
    const claimRatio = ratio(claimBig, claimSmall);
    const rows = [
      {
        figure: `Claim + settle one job at ${n} jobs, ${backlog.toLocaleString('en-US')} of them pending (median)`,
        result: fmt(claimBig * 1000, 'µs'),
        baseline: `${fmt(claimSmall * 1000, 'µs')} (1,000 jobs)`,
        ratio: claimRatio,
        target: '≤ 1.2×',
        met: claimRatio <= 1.2,
      },
      {
        figure: `Claim + settle one job at ${n} jobs in ${QUEUES} queues (${PAUSED} paused, ${LIMITED} limited to 2), ${backlog.toLocaleString('en-US')} pending (median)`,
        result: fmt(claim100Big * 1000, 'µs'),
        baseline: `${fmt(claim100Small * 1000, 'µs')} (1,000 jobs, same queues)`,
        ratio: claim100Ratio,
        target: '≤ 1.2×',
        met: claim100Ratio <= 1.2,
      },
      ...[
        ['`status`', statusBig, statusSmall],
        ['`list --limit 50`', listBig, listSmall],
        ['`list --limit 50 --before <a mid-way id>`', pageBig, listSmall],
      ].map(([what, value, base]) => ({
        figure: `${what} at ${n} jobs, open + answer in-process`,
        result: fmt(value, 'ms'),
        baseline: `${fmt(base, 'ms')} (1,000 jobs)`,
        ratio: ratio(value, base),
        target: '< 100 ms',
        met: value < 100,
      })),
      ...[
        ['`status`', cliStatusBig, cliStatusSmall],
        ['`list --limit 50`', cliListBig, cliListSmall],
      ].map(([what, value, base]) => ({
        figure: `${what} at ${n} jobs, CLI wall time`,
        result: fmt(value, 'ms'),
        baseline: `${fmt(base, 'ms')} (1,000 jobs)`,
        ratio: ratio(value, base),
        target: 'flat: ≤ 1.2×',
        met: ratio(value, base) <= 1.2,
      })),
      {
        figure: `Hot statements that scan or sort jobs/attempts (of ${plans.length})`,
        result: scans.length ? scans.map((plan) => plan.name).join(', ') : '0',
        baseline: '-',
        ratio: null,
        target: '0',
        met: scans.length === 0,
      },
      {
        figure: `Building the ${n}-job database (fixture)`,
        result: fmt(buildSeconds, 's'),
        baseline: '-',
        ratio: null,
        target: 'reported',
        met: null,
      },
    ];
    const details = plans.map((plan) => `- \`${plan.name}\`: ${plan.steps.join('; ')}`);
    return { rows, details: ['Query plans at scale (EXPLAIN QUERY PLAN):', '', ...details] };
  } finally {
    place.cleanup();
  }
}
