/**
 * Wake-ups on PostgreSQL: a subscriber hears another connection's enqueue through LISTEN/NOTIFY,
 * and after its connection is cut, or its subscribers all left and one came back, it listens
 * again, calls the listener once (notifications may have been missed) and hears later changes.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { JobStore } from '../../src/store/job-store.js';
import { openPostgresStore } from '../../src/store/postgres/open-postgres-store.js';
import { adminQuery, describePg, freshPgUrl } from '../helpers/postgres.js';
import { newJob } from '../helpers/job-factory.js';
import { waitFor } from '../helpers/wait-for.js';

describePg('PostgreSQL change notification', () => {
  const opened: JobStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  const listening = (app: string) =>
    adminQuery<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
      [app],
    );

  async function twoStores() {
    const app = `qt_listen_${randomBytes(4).toString('hex')}`;
    const url = new URL(freshPgUrl());
    const writer = await openPostgresStore(url.toString());
    url.searchParams.set('application_name', app);
    const reader = await openPostgresStore(url.toString());
    opened.push(writer, reader);
    return { app, writer, reader };
  }

  it('wakes a subscriber when another connection enqueues, and not before', async () => {
    const { app, writer, reader } = await twoStores();
    let calls = 0;
    reader.subscribe(() => calls++);
    await waitFor(async () => (await listening(app)).length > 0, { what: 'the LISTEN connection' });
    expect(calls).toBe(0);
    await writer.jobInsertMany([[newJob()]]);
    await waitFor(() => calls > 0, { what: 'a wake-up after enqueue' });
  });

  it('wakes a subscriber when a worker settles a job and claims the next in one statement', async () => {
    const { app, writer, reader } = await twoStores();
    const worker = { id: 'w-notify', host: 'h', pid: 1, pidStart: null };
    await writer.workerRegister(worker);
    await writer.jobInsertMany([[newJob({ id: 'one' }), newJob({ id: 'two' })]]);
    const { lease } = (await writer.jobClaim({ workerId: worker.id, leaseMs: 30_000 }))!;
    let calls = 0;
    reader.subscribe(() => calls++);
    await waitFor(async () => (await listening(app)).length > 0, { what: 'the LISTEN connection' });
    const { settled, claimed } = await writer.jobSettleAndClaim({
      settle: {
        lease,
        run: { outcome: 'completed', exitCode: 0, signal: null, error: null },
        next: { state: 'completed' },
      },
      claim: { workerId: worker.id, leaseMs: 30_000 },
    });
    expect({ settled, claimed: claimed?.job.id }).toEqual({ settled: true, claimed: 'two' });
    await waitFor(() => calls > 0, { what: 'a wake-up after the settle' });
  });

  it('calls a subscriber once when listening resumes after every subscriber had left', async () => {
    const { app, writer, reader } = await twoStores();
    let calls = 0;
    const leave = reader.subscribe(() => calls++);
    await waitFor(async () => (await listening(app)).length > 0, { what: 'the LISTEN connection' });
    leave();
    await waitFor(async () => (await listening(app)).length === 0, { what: 'it to stop' });
    await writer.jobInsertMany([[newJob()]]); // unheard: nobody listens
    reader.subscribe(() => calls++);
    await waitFor(() => calls === 1, { what: 'the call once listening again' });
    await writer.jobInsertMany([[newJob()]]);
    await waitFor(() => calls === 2, { what: 'a wake-up after it resumed' });
  });

  it('reconnects after its connection is terminated and calls the listener once it is back', async () => {
    const { app, writer, reader } = await twoStores();
    let calls = 0;
    reader.subscribe(() => calls++);
    const [first] = await waitFor(async () => {
      const rows = await listening(app);
      return rows.length > 0 ? rows : null;
    });
    await adminQuery('SELECT pg_terminate_backend($1)', [first!.pid]);
    await waitFor(() => calls === 1, { what: 'the call after reconnecting' });
    const [second] = await listening(app);
    expect(second!.pid).not.toBe(first!.pid);
    await writer.jobInsertMany([[newJob()]]);
    await waitFor(() => calls === 2, { what: 'a wake-up on the new connection' });
  });
});
