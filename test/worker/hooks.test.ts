/**
 * Completion hooks, run by real workers over a real store: each state's hook runs once with the
 * job in its environment (a job cancelled while waiting, by a user or with the job it waited for:
 * by the maintenance leader); a hanging
 * hook is killed at hook-timeout with its session; a failing or flooding hook changes nothing and
 * never holds up the next job; what a hook leaves in its session is killed when it exits.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logPath } from '../../src/core/output-files.js';
import { Queue } from '../../src/core/queue.js';
import { isProcessAlive } from '../../src/worker/process-info.js';
import { Worker } from '../../src/worker/worker.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { openTracked, runTracked } from '../helpers/workers.js';

async function setup() {
  const dir = tempDir();
  const db = join(dir, 'q.db');
  const store = await openTracked(db);
  return { dir, db, queue: new Queue(store), logDir: `${db}.logs` };
}

async function startWorker(db: string, logDir: string) {
  const store = await openTracked(db);
  const lines: string[] = [];
  const worker = new Worker({ store, logDir, log: (line) => lines.push(line) });
  runTracked(worker);
  return { worker, lines };
}

/** A hook that records its environment in DIR/<job>.<state>.<n>. */
function recorder(dir: string): string {
  return `f="${dir}/$QUEUECTL_JOB_ID.$QUEUECTL_STATE"; n=1; while [ -e "$f.$n" ]; do n=$((n+1)); done; env | grep ^QUEUECTL_ | sort > "$f.$n"`;
}

function recorded(dir: string, name: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(dir, name), 'utf8')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const state = async (queue: Queue, id: string) => (await queue.get(id)).state;

describe('completion hooks', () => {
  it('runs each state hook once with the job in its environment', async () => {
    const { dir, db, queue, logDir } = await setup();
    const hooks = join(dir, 'hooks');
    await queue.configSet('backoff-base', '1');
    for (const event of ['on-completed', 'on-failed', 'on-dead', 'on-cancelled']) {
      await queue.hookSet(event, `mkdir -p ${hooks}; ${recorder(hooks)}`);
    }
    await queue.enqueue({ id: 'ok', command: 'echo fine', max_retries: 0 });
    await queue.enqueue({ id: 'flaky', command: 'echo no >&2; exit 3', max_retries: 1 });
    await queue.enqueue({ id: 'after-flaky', command: 'true', after: ['flaky'] });
    await queue.enqueue({ id: 'long', command: 'sleep 30', max_retries: 0 });
    await queue.enqueue({ id: 'later', command: 'true', delay: '1h' });
    await queue.cancel(['later']); // settled by this command: the leader runs its hook
    await startWorker(db, logDir);
    await waitFor(async () => (await state(queue, 'long')) === 'processing', {
      what: 'long to run',
    });
    await queue.cancel(['long']);
    await waitFor(() => existsSync(hooks) && readdirSync(hooks).length >= 6, {
      timeoutMs: 20_000,
      what: 'six hooks',
    });
    // No more come (each state once per settle): wait past another sweep of the leader.
    await waitFor(async () => (await state(queue, 'flaky')) === 'dead');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(readdirSync(hooks).sort()).toEqual([
      'after-flaky.cancelled.1',
      'flaky.dead.1',
      'flaky.failed.1',
      'later.cancelled.1',
      'long.cancelled.1',
      'ok.completed.1',
    ]);
    // Over the worker's own environment (which may hold QUEUECTL_ variables of its own).
    expect(recorded(hooks, 'ok.completed.1')).toMatchObject({
      QUEUECTL_ATTEMPT: '1',
      QUEUECTL_COMMAND: 'echo fine',
      QUEUECTL_EXIT_CODE: '0',
      QUEUECTL_JOB_ID: 'ok',
      QUEUECTL_STATE: 'completed',
      QUEUECTL_STDERR_FILE: logPath(logDir, 'ok', 1, 'stderr'),
      QUEUECTL_STDOUT_FILE: logPath(logDir, 'ok', 1, 'stdout'),
    });
    expect(readFileSync(recorded(hooks, 'ok.completed.1').QUEUECTL_STDOUT_FILE!, 'utf8')).toBe(
      'fine\n',
    );
    expect(recorded(hooks, 'flaky.failed.1')).toMatchObject({
      QUEUECTL_ATTEMPT: '1',
      QUEUECTL_EXIT_CODE: '3',
    });
    expect(recorded(hooks, 'flaky.dead.1')).toMatchObject({
      QUEUECTL_ATTEMPT: '2',
      QUEUECTL_EXIT_CODE: '3',
      QUEUECTL_STDERR_FILE: logPath(logDir, 'flaky', 2, 'stderr'),
    });
    expect(recorded(hooks, 'long.cancelled.1')).toMatchObject({ QUEUECTL_ATTEMPT: '1' });
    // Cancelled when flaky ended dead, by that settle: the leader runs its hook.
    expect(recorded(hooks, 'after-flaky.cancelled.1')).toMatchObject({
      QUEUECTL_ATTEMPT: '0',
      QUEUECTL_STATE: 'cancelled',
    });
    expect(recorded(hooks, 'later.cancelled.1')).toMatchObject({
      QUEUECTL_ATTEMPT: '0',
      QUEUECTL_EXIT_CODE: '',
      QUEUECTL_STDOUT_FILE: '',
      QUEUECTL_COMMAND: 'true',
    });
  });

  it('kills a hanging hook and its session at hook-timeout; a failing one is logged and changes nothing', async () => {
    const { dir, db, queue, logDir } = await setup();
    await queue.configSet('hook-timeout', '300ms');
    const pidFile = join(dir, 'hook-child');
    await queue.hookSet('on-completed', `sleep 60 & echo $! > ${pidFile}; wait`);
    await queue.hookSet('on-dead', 'echo "cannot notify" >&2; exit 4');
    await queue.enqueue({ id: 'a', command: 'true' });
    await queue.enqueue({ id: 'b', command: 'exit 1', max_retries: 0 });
    const { lines } = await startWorker(db, logDir);
    await waitFor(
      () =>
        lines.some((l) =>
          /hook on-completed for job a: killed after 300ms \(hook-timeout\)/.test(l),
        ),
      { what: 'the timeout' },
    );
    const child = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isProcessAlive(child, null), { what: "the hook's child to be killed" });
    await waitFor(() => lines.some((l) => l.startsWith('hook on-dead for job b:')), {
      what: 'the failure',
    });
    expect(lines).toContain('hook on-dead for job b: exited with code 4: cannot notify');
    expect(await queue.get('a')).toMatchObject({ state: 'completed', attempts: 1 });
    expect(await queue.get('b')).toMatchObject({ state: 'dead', attempts: 1 });
  });

  it('never holds up the next job: a flooding or lingering hook, and jobs keep flowing', async () => {
    const { dir, db, queue, logDir } = await setup();
    const pidFile = join(dir, 'left');
    // A gigabyte on stdout (discarded) and on stderr (read up to 1 MiB, then closed), and a
    // background child left behind when the hook's shell exits.
    await queue.hookSet(
      'on-completed',
      `[ "$QUEUECTL_JOB_ID" = j0 ] || exit 0; sleep 60 & echo $! > ${pidFile}; head -c 1073741824 /dev/zero; head -c 1073741824 /dev/zero >&2`,
    );
    await queue.configSet('hook-timeout', '30s');
    for (let i = 0; i < 20; i++) await queue.enqueue({ id: `j${i}`, command: 'true' });
    const { lines } = await startWorker(db, logDir);
    const started = performance.now();
    await waitFor(async () => (await queue.status()).counts.completed === 20, {
      what: 'the jobs to complete',
    });
    const took = performance.now() - started;
    await waitFor(
      () => lines.some((l) => /hook on-completed for job j0: exited with code 141/.test(l)),
      {
        timeoutMs: 30_000,
        what: 'the flooding hook to end (its stderr closed: SIGPIPE)',
      },
    );
    await waitFor(() => existsSync(pidFile));
    const child = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !isProcessAlive(child, null), { what: 'the lingering child to be killed' });
    expect(took).toBeLessThan(10_000);
    expect(process.memoryUsage().rss).toBeLessThan(1024 ** 3);
  });
  it('a --drain worker runs the hooks of jobs cancelled during the drain before it exits', async () => {
    const { dir, db, queue, logDir } = await setup();
    const hooks = join(dir, 'hooks');
    await queue.hookSet('on-cancelled', `mkdir -p ${hooks}; ${recorder(hooks)}`);
    await queue.enqueue({ id: 'build', command: 'exit 1', max_retries: 0 });
    await queue.enqueue({ id: 'test', command: 'true', after: ['build'] });
    await queue.enqueue({ id: 'deploy', command: 'true', after: ['test'] });
    const store = await openTracked(db);
    const worker = new Worker({ store, logDir, drain: true });
    await runTracked(worker).done; // resolves once drained, with its hooks waited for
    expect(await state(queue, 'deploy')).toBe('cancelled');
    expect(readdirSync(hooks).sort()).toEqual(['deploy.cancelled.1', 'test.cancelled.1']);
  });
});
