/**
 * Issue 15 through the built CLI: one maintenance leader (taken over within lease-timeout when
 * its workers die; it puts back jobs whose lease ran out on another host), recurring schedules
 * (one job per slot with three worker processes), retention by the leader, `clean`, and hooks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, sandbox, type Sandbox } from '../helpers/cli-sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import type { JobJson, Shown } from '../helpers/json-shapes.js';

interface StatusJson {
  counts: Record<string, number>;
  workers: { id: string; pid: number; host: string }[];
  leader: { holder: string; host: string; term: number } | null;
}

interface ScheduleJson {
  name: string;
  next_at: string | null;
  last_job_id: string | null;
  last_job_state: string | null;
  fired: number;
  skipped: number;
  missed: number;
}

const status = (s: Sandbox) => s.json<StatusJson>(['status']);

function kill9(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

describe('the maintenance leader', () => {
  it('is taken over within lease-timeout when its workers die, and puts back their jobs from another host', async () => {
    const s = sandbox();
    expect((await s.run(['config', 'set', 'lease-timeout', '2s'])).code).toBe(0);
    const groupA = s.start(['worker', 'start', '--count', '2'], { QUEUECTL_HOST: 'host-a' });
    const exitA = collect(groupA);
    const leaderA = await waitFor(
      async () => {
        const st = await status(s);
        return st.leader && st.workers.length === 2 ? st : null;
      },
      { what: 'group A to register and lead' },
    );
    expect(leaderA.leader!.host).toBe('host-a');
    // A long job held by group A; then group B (another "host") joins.
    await s.run(['enqueue', '{"id":"long","command":"sleep 60","max_retries":0}']);
    await waitFor(async () => (await s.json<Shown>(['show', 'long'])).job.state === 'processing');
    const groupB = s.start(['worker', 'start', '--count', '2'], { QUEUECTL_HOST: 'host-b' });
    await waitFor(async () => (await status(s)).workers.length === 4, { what: 'group B' });
    expect((await status(s)).leader!.holder).toBe(leaderA.leader!.holder);

    // Group A dies at once, workers and supervisor, without a word to the database.
    const pidsA = (await status(s)).workers.filter((w) => w.host === 'host-a').map((w) => w.pid);
    kill9(groupA.pid!);
    for (const pid of pidsA) kill9(pid);
    const killedAt = Date.now();
    await exitA;
    const taken = await waitFor(
      async () => {
        const st = await status(s);
        return st.leader && st.leader.host === 'host-b' ? st.leader : null;
      },
      { intervalMs: 20, what: 'group B to take over' },
    );
    const takeover = Date.now() - killedAt;
    expect(taken.term).toBe(leaderA.leader!.term + 1);
    expect(takeover).toBeLessThanOrEqual(2000 + 500); // lease-timeout, and the polling above
    // Host B cannot see host A's processes: the job comes back when its lease has run out.
    const rescued = await waitFor(
      async () => {
        const shown = await s.json<Shown>(['show', 'long']);
        return shown.attempts[0]?.outcome === 'worker_lost' ? shown : null;
      },
      { what: 'the lost job to be put back' },
    );
    expect(rescued.attempts[0]!.error).toMatch(/stopped renewing its lease/);
    expect(rescued.job.state).toBe('dead'); // its one run was lost
    groupB.kill('SIGTERM');
    expect((await collect(groupB)).code).toBe(0);
    // A graceful stop hands the lease back.
    expect((await status(s)).leader).toBeNull();
  });
});

describe('recurring schedules', () => {
  it('enqueues one job per slot with three worker processes running', async () => {
    const s = sandbox();
    const out = join(s.home, 'ticks.txt');
    const added = await s.run([
      'schedule',
      'add',
      'tick',
      '--every',
      '1s',
      '-c',
      `echo "$QUEUECTL_JOB_ID" >> ${out}`,
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^added schedule tick \(every 1s\); next run /);
    const groups = ['a', 'b', 'c'].map((host) =>
      s.start(['worker', 'start', '--quiet'], { QUEUECTL_HOST: `host-${host}` }),
    );
    const exits = groups.map((group) => collect(group));
    await waitFor(async () => (await s.json<ScheduleJson[]>(['schedule', 'list']))[0]!.fired >= 6, {
      timeoutMs: 15_000,
      what: 'six slots to fire',
    });
    await s.run(['schedule', 'pause', 'tick']);
    for (const group of groups) group.kill('SIGTERM');
    for (const exit of exits) expect((await exit).code).toBe(0);

    const ran = readFileSync(out, 'utf8').trim().split('\n');
    expect(new Set(ran).size).toBe(ran.length); // each slot's job ran once
    const jobs = (await s.json<JobJson[]>(['list'])).map((j) => j.id).sort();
    expect(jobs.every((id) => /^tick:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(id))).toBe(true);
    const [listed] = await s.json<ScheduleJson[]>(['schedule', 'list']);
    expect(jobs).toHaveLength(listed!.fired);
    expect([...ran].sort()).toEqual(jobs);
    // One job per slot, slots one second apart: no slot twice, none skipped while workers ran.
    const times = jobs.map((id) => Date.parse(id.slice('tick:'.length)));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
  });

  it('refuses bad schedules with one line and changes nothing', async () => {
    const s = sandbox();
    await s.run(['schedule', 'add', 'ok', '--every', '1h', '-c', 'true']);
    const before = s.dump();
    for (const [args, message] of [
      [['--every', '1ms', '-c', 'x'], /--every must be a duration from 1s to 365d/],
      [['--cron', '0 0 30 2 *', '-c', 'x'], /never fires/],
      [['--cron', 'every day', '-c', 'x'], /cron expression "every day" is not valid/],
      [['--cron', '0 2 * * *', '--tz', 'Mars/Base', '-c', 'x'], /unknown time zone/],
      [['--cron', '0 2 * * *', '--every', '1h', '-c', 'x'], /either --cron/],
      [['--every', '1h'], /give the command each slot runs with -c/],
    ] as const) {
      const result = await s.run(['schedule', 'add', 'new', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^queuectl: /);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    const taken = await s.run(['schedule', 'add', 'ok', '--every', '1h', '-c', 'true']);
    expect(taken).toMatchObject({ code: 2 });
    expect(taken.stderr).toMatch(/a schedule named "ok" exists/);
    const badName = await s.run([
      'schedule',
      'add',
      `x${'y'.repeat(64)}`,
      '--every',
      '1h',
      '-c',
      'x',
    ]);
    expect(badName.stderr).toMatch(/schedule name .* must be 1-64/);
    expect((await s.run(['schedule', 'rm', 'nope'])).code).toBe(2);
    expect(s.dump()).toBe(before);
  });
});

describe('retention', () => {
  it('lets the leader delete finished jobs past keep-completed, with their output files', async () => {
    const s = sandbox();
    await s.run(['config', 'set', 'keep-completed', '1s']);
    await s.run(['config', 'set', 'keep-dead', 'forever']);
    for (let i = 0; i < 5; i++) await s.run(['enqueue', '-c', `echo out-${i}`, '--id', `j${i}`]);
    await s.run(['enqueue', '-c', 'echo bad; exit 1', '--id', 'bad', '--max-retries', '0']);
    const worker = s.start(['worker', 'start']);
    const exit = collect(worker);
    const logs = `${s.db}.logs`;
    await waitFor(async () => {
      const { counts } = await status(s);
      return counts.dead === 1 && counts.pending === 0 && counts.processing === 0;
    });
    await waitFor(async () => (await status(s)).counts.completed === 0, {
      what: 'the cleaner to remove the completed jobs',
    });
    worker.kill('SIGTERM');
    const { stdout } = await exit;
    expect(stdout).toMatch(/cleaner: removed \d+ finished jobs? \(\d+ completed\)/);
    expect((await status(s)).counts.dead).toBe(1); // kept forever
    expect(readdirSync(logs).sort()).toEqual(['bad.1.stdout']);
  });

  it('cleans on demand: a dry run changes nothing, then jobs and output files go', async () => {
    const s = sandbox();
    for (let i = 0; i < 3; i++)
      await s.run(['enqueue', '-c', `echo ${'x'.repeat(99)}`, '--id', `c${i}`]);
    expect((await s.run(['worker', 'start', '--drain', '--quiet'])).code).toBe(0);
    await s.run(['enqueue', '-c', 'sleep 60', '--id', 'waiting', '--delay', '1h']);
    const logs = `${s.db}.logs`;
    expect(readdirSync(logs)).toHaveLength(3);
    const before = s.dump();

    const dry = await s.run(['clean', '--older-than', '0', '--dry-run']);
    expect(dry.stdout.trim()).toBe(
      'would remove 3 finished jobs (3 completed) and 300B of output files (dry run: nothing was changed)',
    );
    expect(s.dump()).toBe(before);
    expect(readdirSync(logs)).toHaveLength(3);
    // Nothing is old enough for the default retention.
    expect((await s.run(['clean'])).stdout.trim()).toBe(
      'removed 0 finished jobs and 0B of output files',
    );

    const bad = await s.run(['clean', '--state', 'pending']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/only finished jobs are cleaned/);

    const done = await s.json<{ jobs: number; bytes: number }>(['clean', '--older-than', '0']);
    expect(done).toMatchObject({ jobs: 3, bytes: 300 });
    expect(readdirSync(logs)).toEqual([]);
    expect((await s.json<JobJson[]>(['list'])).map((j) => j.id)).toEqual(['waiting']);
  });
});

describe('hooks', () => {
  it('sets, lists and removes hooks; a bad one changes nothing', async () => {
    const s = sandbox();
    const marker = join(s.home, 'dead.txt');
    expect(
      (
        await s.run([
          'hook',
          'set',
          'on-dead',
          `echo "$QUEUECTL_JOB_ID $QUEUECTL_EXIT_CODE" > ${marker}`,
        ])
      ).code,
    ).toBe(0);
    expect((await s.run(['hook', 'list'])).stdout).toMatch(/^HOOK +COMMAND\non-dead +echo/);
    const before = s.dump();
    for (const args of [
      ['hook', 'set', 'on-finish', 'x'],
      ['hook', 'set', 'on-dead', ''],
      ['hook', 'rm', 'on-completed'],
    ]) {
      const result = await s.run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^queuectl: /);
    }
    expect(s.dump()).toBe(before);
    await s.run(['enqueue', '-c', 'exit 7', '--id', 'doomed', '--max-retries', '0']);
    expect((await s.run(['worker', 'start', '--drain', '--quiet'])).code).toBe(0);
    // The worker waited for the hook of its last job before it exited.
    expect(readFileSync(marker, 'utf8')).toBe('doomed 7\n');
    expect((await s.run(['hook', 'rm', 'on-dead'])).stdout.trim()).toBe('on-dead: removed');
    expect(await s.json(['hook', 'list'])).toEqual([]);
    expect(existsSync(marker)).toBe(true);
  });
});
