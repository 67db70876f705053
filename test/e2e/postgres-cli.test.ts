/**
 * The core end-to-end scenarios through the built CLI, against PostgreSQL: enqueue, workers that
 * drain the queue, retries into the dead letter queue, dlq retry, migrate, and worker stop across
 * hosts (through the database) and --local.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import type { Attempt, Job } from '../../src/core/job.js';
import type { QueueStatus } from '../../src/core/queue.js';
import { cliJson, collect, runCli, startCli, type CliEnv } from '../helpers/run-cli.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';

describePg('CLI on PostgreSQL', () => {
  let ctx: CliEnv;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    ctx = { home: tempDir(), db: freshPgUrl() };
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('migrates once, then reports the schema up to date', async () => {
    const first = await cliJson<{ kind: string; from: number; to: number }>(ctx, ['migrate']);
    expect(first).toMatchObject({ kind: 'postgres', from: 0, to: SCHEMA_VERSION });
    expect(await cliJson(ctx, ['migrate'])).toMatchObject({
      from: SCHEMA_VERSION,
      to: SCHEMA_VERSION,
    });
  });

  it('runs jobs to completion, retries failures into the dead letter queue, and retries them from there', async () => {
    expect((await runCli(ctx, ['config', 'set', 'backoff-base', '1'])).code).toBe(0);
    const jobs = [
      { id: 'ok', command: 'echo hello' },
      { id: 'flaky', command: 'test -f flaky.done || { touch flaky.done; exit 1; }' },
      { id: 'broken', command: 'exit 7', max_retries: 1 },
    ];
    expect((await runCli(ctx, ['enqueue', JSON.stringify(jobs)])).code).toBe(0);

    const run = await runCli(ctx, ['worker', 'start', '--count', '2', '--drain']);
    expect(run.code).toBe(0);

    const show = (id: string) => cliJson<{ job: Job; attempts: Attempt[] }>(ctx, ['show', id]);
    expect((await show('ok')).job.state).toBe('completed');
    expect((await runCli(ctx, ['logs', 'ok'])).stdout).toBe('hello\n');
    const flaky = await show('flaky');
    expect(flaky.job).toMatchObject({ state: 'completed', attempts: 2 });
    expect(flaky.attempts.map((a) => a.outcome)).toEqual(['failed', 'completed']);
    const broken = await show('broken');
    expect(broken.job).toMatchObject({ state: 'dead', attempts: 2, last_exit_code: 7 });

    const dead = await cliJson<Job[]>(ctx, ['dlq', 'list']);
    expect(dead.map((j) => j.id)).toEqual(['broken']);
    expect((await runCli(ctx, ['dlq', 'retry', 'broken'])).code).toBe(0);
    expect((await show('broken')).job).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await runCli(ctx, ['dlq', 'retry', 'ok'])).code).toBe(2);

    expect((await runCli(ctx, ['worker', 'start', '--drain'])).code).toBe(0);
    const again = await show('broken');
    expect(again.job).toMatchObject({ state: 'dead', attempts: 2 });
    expect(again.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('stops workers on every host through the database, or only this host with --local', async () => {
    const group = (host: string) => {
      const child = startCli({ ...ctx, env: { QUEUECTL_HOST: host } }, ['worker', 'start']);
      children.push(child);
      return { child, done: collect(child) };
    };
    const a = group('host-a');
    const b = group('host-b');
    const workers = async () => (await cliJson<QueueStatus>(ctx, ['status'])).workers;
    await waitFor(async () => (await workers()).length === 2, { what: 'two workers' });

    const local = await runCli({ ...ctx, env: { QUEUECTL_HOST: 'host-a' } }, [
      'worker',
      'stop',
      '--local',
      '--timeout',
      '30s',
    ]);
    expect(local.code).toBe(0);
    expect((await a.done).code).toBe(0);
    expect((await workers()).map((w) => w.host)).toEqual(['host-b']);

    // From another host: host-b's worker hears it only through the database.
    const all = await runCli({ ...ctx, env: { QUEUECTL_HOST: 'host-c' } }, [
      'worker',
      'stop',
      '--timeout',
      '30s',
    ]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('host-b');
    expect((await b.done).code).toBe(0);
    expect(await workers()).toEqual([]);
  });
});
