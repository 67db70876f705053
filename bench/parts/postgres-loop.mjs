/**
 * The settle and claim alone, with no process started: two connections (as two workers) each
 * settle a job and claim the next in one step until `count` jobs are done, on SQLite and on
 * PostgreSQL in the same run. Where the PostgreSQL server runs on this machine, its CPU time per
 * job is read from /proc as well (the figure to watch when changing claim_job or settle_job).
 */
import { performance } from 'node:perf_hooks';
import { fmt, ratio } from '../lib/measure.mjs';
import { jobs, openBenchStore, tempPlace } from '../lib/fixtures.mjs';
import { postgresTicks, TICK_MS } from '../lib/processes.mjs';

const completed = { outcome: 'completed', exitCode: 0, signal: null, error: null };

/** µs per job of the loop on `db`, and the server's CPU µs per job (null when not readable). */
export async function settleClaimLoop(db, count, connections = 2) {
  const setup = await openBenchStore(db, false);
  const stores = [];
  try {
    await setup.jobInsertMany([jobs(count)]);
    for (let i = 0; i < connections; i++) {
      const store = await openBenchStore(db, false);
      stores.push(store);
      await store.workerRegister({ id: `loop-${i}`, host: 'bench', pid: 1000 + i, pidStart: null });
    }
    const ticksBefore = postgresTicks();
    const started = performance.now();
    await Promise.all(
      stores.map(async (store, i) => {
        const claim = { workerId: `loop-${i}`, leaseMs: 60_000 };
        let claimed = await store.jobClaim(claim);
        while (claimed) {
          const settle = { lease: claimed.lease, run: completed, next: { state: 'completed' } };
          ({ claimed } = await store.jobSettleAndClaim({ settle, claim }));
        }
      }),
    );
    const us = ((performance.now() - started) * 1000) / count;
    const ticksAfter = postgresTicks();
    const done = (await setup.jobCountByState()).completed;
    if (done !== count) throw new Error(`${done} of ${count} jobs completed`);
    const serverUs =
      ticksBefore === null || ticksAfter === null
        ? null
        : ((ticksAfter - ticksBefore) * TICK_MS * 1000) / count;
    return { us, serverUs };
  } finally {
    for (const store of stores) await store.close();
    await setup.close();
  }
}

export async function measurePostgresLoop(url, { quick, log }) {
  const count = quick ? 1000 : 5000;
  log(`postgres: settle and claim alone, ${count} jobs over 2 connections, SQLite then PostgreSQL`);
  const place = tempPlace('loop');
  let sqlite;
  try {
    sqlite = await settleClaimLoop(place.db, count);
  } finally {
    place.cleanup();
  }
  const pg = await settleClaimLoop(url, count);
  const server = pg.serverUs === null ? '' : `; server CPU ${fmt(pg.serverUs, 'µs')} a job`;
  return {
    figure: `Settle and claim alone, 2 connections, ${count} jobs (no process started)`,
    result: `${fmt(pg.us, 'µs')} a job on PostgreSQL${server}`,
    baseline: `${fmt(sqlite.us, 'µs')} a job (SQLite, same run)`,
    ratio: ratio(pg.us, sqlite.us),
    target: 'reported',
    met: null,
  };
}
