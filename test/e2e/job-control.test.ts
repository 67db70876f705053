/**
 * Jobs run where they were enqueued, and can be cancelled, waited for, restarted, updated and
 * removed from the command line: the built CLI as typed, real workers, real processes.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Attempt, Job } from '../../src/core/job.js';
import { hostId } from '../../src/worker/process-info.js';
import { sandbox, type Sandbox } from '../helpers/cli-sandbox.js';
import { collect, runCli, startCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { processesWithEnv } from '../faults/helpers/processes.js';

type Shown = { job: Job; attempts: Attempt[] };
const show = (s: Sandbox, id: string) => s.json<Shown>(['show', id]);
const stateOf = async (s: Sandbox, id: string) => (await show(s, id)).job.state;

describe('where and how a job runs', () => {
  it('runs in the directory and with the environment of the enqueue, not the worker', async () => {
    const s = sandbox();
    const project = realpathSync(tempDir());
    const enqueued = await runCli(
      { ...s.env, cwd: project, env: { PROJECT_FLAVOUR: 'strawberry' } },
      ['enqueue', '-c', 'pwd; echo "flavour=$PROJECT_FLAVOUR id=$QUEUECTL_JOB_ID"', '--id', 'here'],
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const elsewhere = tempDir();
    const run = await runCli({ ...s.env, cwd: elsewhere, env: { PROJECT_FLAVOUR: 'worker' } }, [
      'worker',
      '--drain',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect((await s.run(['logs', 'here'])).stdout).toBe(`${project}\nflavour=strawberry id=here\n`);
    const shown = await s.run(['show', 'here']);
    expect(shown.stdout).toMatch(new RegExp(`^directory\\s+${project}$`, 'm'));
    expect(shown.stdout).toMatch(/^environment\s+\d+ variables: .*PROJECT_FLAVOUR/m);
    expect(shown.stdout).not.toContain('strawberry');
    expect((await s.run(['show', 'here', '--env'])).stdout).toContain('PROJECT_FLAVOUR=strawberry');
  });

  it('with --clean-env gives the job the worker environment plus --env, and --cwd sets the directory', async () => {
    const s = sandbox();
    const dir = realpathSync(tempDir());
    await runCli({ ...s.env, env: { FROM_ENQUEUE: 'no' } }, [
      'enqueue',
      '--clean-env',
      '--env',
      'EXTRA=a=b c',
      '--cwd',
      dir,
      '--id',
      'clean',
      '-c',
      'pwd; echo "enqueue=${FROM_ENQUEUE:-unset} worker=$FROM_WORKER extra=$EXTRA"',
    ]);
    await runCli({ ...s.env, env: { FROM_WORKER: 'yes' } }, ['worker', '--drain']);
    expect((await s.run(['logs', 'clean'])).stdout).toBe(
      `${dir}\nenqueue=unset worker=yes extra=a=b c\n`,
    );
  });

  it('ends a run whose directory does not exist with spawn_failed, naming it and the host', async () => {
    const s = sandbox();
    const gone = join(tempDir(), 'not-there');
    await s.run(['enqueue', '--cwd', gone, '--max-retries', '0', '--id', 'lost', '-c', 'true']);
    await s.run(['worker', '--drain']);
    const { job, attempts } = await show(s, 'lost');
    expect(job.state).toBe('dead');
    expect(attempts[0]!.outcome).toBe('spawn_failed');
    expect(attempts[0]!.error).toBe(`working directory ${gone} does not exist on host ${hostId()}`);
  });
});

describe('job control', () => {
  it('cancels a running job with a background child and leaves no process behind', async () => {
    const s = sandbox();
    await s.run(['enqueue', '--id', 'busy', '-c', 'sleep 300 & sleep 300; wait']);
    const workers = s.start(['worker']);
    const done = collect(workers);
    await waitFor(async () => (await stateOf(s, 'busy')) === 'processing');
    await waitFor(() => processesWithEnv('QUEUECTL_JOB_ID', 'busy').length >= 3, {
      what: 'the job and its children to run',
    });
    const cancelled = await s.run(['cancel', 'busy']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(/^busy: stopping/);
    await waitFor(async () => (await stateOf(s, 'busy')) === 'cancelled', { timeoutMs: 10_000 });
    expect(processesWithEnv('QUEUECTL_JOB_ID', 'busy')).toEqual([]);
    const { attempts } = await show(s, 'busy');
    expect(attempts[0]!.outcome).toBe('cancelled');
    expect((await s.run(['cancel', 'busy'])).stderr).toMatch(/job "busy" is cancelled/);
    workers.kill('SIGTERM');
    await done;
  });

  it('cancels waiting jobs at once, all or nothing', async () => {
    const s = sandbox();
    await s.run(['enqueue', '[{"id":"a","command":"true"},{"id":"b","command":"true"}]']);
    const before = s.dump();
    const refused = await s.run(['cancel', 'a', 'nosuch', 'b']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no job with id "nosuch".*nothing was changed/);
    expect(s.dump()).toBe(before);
    expect((await s.run(['cancel', 'a', 'b'])).stdout).toBe('a: cancelled\nb: cancelled\n');
    await s.run(['worker', '--drain']);
    expect(await stateOf(s, 'a')).toBe('cancelled');
    expect((await show(s, 'a')).attempts).toEqual([]);
  });

  it('waits for jobs and exits with their status', async () => {
    const s = sandbox();
    await s.run([
      'enqueue',
      JSON.stringify([
        { id: 'ok', command: 'true' },
        { id: 'three', command: 'exit 3', max_retries: 0 },
        { id: 'killed', command: 'kill -9 $$', max_retries: 0 },
        { id: 'later', command: 'true', delay: '1h' },
      ]),
    ]);
    const workers = s.start(['worker', '--count', '2']);
    const done = collect(workers);
    const wait = (...args: string[]) => s.run(['wait', ...args]);
    expect((await wait('ok')).code).toBe(0);
    expect((await wait('three')).code).toBe(3);
    expect((await wait('killed')).code).toBe(137);
    expect((await wait('ok', 'three')).code).toBe(1);
    const timedOut = await wait('later', '--timeout', '300ms');
    expect(timedOut.code).toBe(124);
    expect(timedOut.stdout).toMatch(/timed out after 300ms; still later \(pending\)/);
    await s.run(['cancel', 'later']);
    expect((await wait('later')).code).toBe(1);
    const json = JSON.parse((await s.run(['wait', 'three', '--json'])).stdout);
    expect(json).toMatchObject({ timed_out: false, jobs: [{ id: 'three', exit_status: 3 }] });
    workers.kill('SIGTERM');
    await done;
  });

  it('wakes a wait as soon as the job finishes, without polling the CLI', async () => {
    const s = sandbox();
    await s.run(['enqueue', '--id', 'soon', '-c', 'sleep 0.5']);
    const waiting = collect(startCli(s.env, ['wait', 'soon']));
    const workers = s.start(['worker']);
    const done = collect(workers);
    const result = await waiting;
    expect(result).toMatchObject({ code: 0, stdout: 'soon: completed\n' });
    workers.kill('SIGTERM');
    await done;
  });

  it('restarts a finished job as the same job, keeping and numbering on its history', async () => {
    const s = sandbox();
    await s.run([
      'enqueue',
      '--id',
      'again',
      '--max-retries',
      '0',
      '-c',
      'echo run $QUEUECTL_ATTEMPT; exit 1',
    ]);
    await s.run(['worker', '--drain']);
    expect(await stateOf(s, 'again')).toBe('dead');
    const restarted = await s.run(['restart', 'again']);
    expect(restarted.code, restarted.stderr).toBe(0);
    await s.run(['worker', '--drain']);
    const { job, attempts } = await show(s, 'again');
    expect(job.state).toBe('dead');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect((await s.run(['logs', 'again', '--attempt', '1'])).stdout).toBe('run 1\n');
    expect((await s.run(['logs', 'again'])).stdout).toBe('run 2\n');
    expect((await s.run(['restart', '--state', 'dead'])).stdout).toMatch(
      /^1 dead job back to pending/,
    );
    expect((await s.run(['restart', '--state', 'pending'])).code).toBe(2);
  });

  it('removes jobs with their output files, refusing a running one', async () => {
    const s = sandbox();
    await s.run(['enqueue', '[{"id":"r1","command":"echo one"},{"id":"r2","command":"echo two"}]']);
    await s.run(['worker', '--drain']);
    const logDir = `${s.db}.logs`;
    expect(readdirSync(logDir).filter((f) => f.startsWith('r1.'))).not.toEqual([]);
    expect((await s.run(['rm', 'r1', 'nosuch'])).code).toBe(2);
    expect(await stateOf(s, 'r1')).toBe('completed');
    const removed = await s.run(['rm', 'r1', 'r2']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(readdirSync(logDir).filter((f) => /^r[12]\./.test(f))).toEqual([]);
    expect((await s.run(['show', 'r1'])).code).toBe(2);

    await s.run(['enqueue', '--id', 'running', '-c', 'sleep 60']);
    const workers = s.start(['worker']);
    const done = collect(workers);
    await waitFor(async () => (await stateOf(s, 'running')) === 'processing');
    const refused = await s.run(['rm', 'running']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/running; cancel it first/);
    expect((await s.run(['cancel', 'running'])).code).toBe(0);
    await waitFor(async () => (await stateOf(s, 'running')) === 'cancelled');
    expect((await s.run(['rm', 'running'])).code).toBe(0);
    workers.kill('SIGTERM');
    await done;
  });

  it('updates a waiting job, and refuses one that has started', async () => {
    const s = sandbox();
    await s.run(['enqueue', '--id', 'u', '--delay', '1h', '-c', 'echo old']);
    const updated = await s.run([
      'update',
      'u',
      '--priority',
      '7',
      '--max-retries',
      '5',
      '--timeout',
      '30s',
      '--command',
      'echo new',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    const { job } = await show(s, 'u');
    expect(job).toMatchObject({
      priority: 7,
      max_retries: 5,
      timeout_seconds: 30,
      command: 'echo new',
    });
    await s.run(['update', 'u', '--delay', '0s']);
    await s.run(['worker', '--drain']);
    expect((await s.run(['logs', 'u'])).stdout).toBe('new\n');
    const refused = await s.run(['update', 'u', '--priority', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/completed/);
    expect((await s.run(['update', 'u'])).stderr).toMatch(/say what to change/);
  });

  it('follows a pending job from its start to its end and exits with its status', async () => {
    const s = sandbox();
    await s.run([
      'enqueue',
      '--id',
      'f',
      '--max-retries',
      '0',
      '-c',
      'echo started; sleep 0.3; echo ended; exit 4',
    ]);
    const following = collect(startCli(s.env, ['logs', 'f', '--follow']));
    const workers = s.start(['worker']);
    const done = collect(workers);
    const result = await following;
    expect(result.stdout).toBe('started\nended\n');
    expect(result.code).toBe(4);
    workers.kill('SIGTERM');
    await done;
  });

  it('keeps output files out of a directory created later (the recorded one is used)', async () => {
    const s = sandbox();
    const later = join(tempDir(), 'made-later');
    await s.run(['enqueue', '--cwd', later, '--id', 'late', '-c', 'pwd']);
    mkdirSync(later);
    await s.run(['worker', '--drain']);
    expect((await s.run(['logs', 'late'])).stdout).toBe(`${later}\n`);
    expect(existsSync(join(later, 'late.1.stdout'))).toBe(false);
  });
});
