/**
 * Workers as a service: `worker start --detach` outlives the terminal it was started from (a real
 * tmux session, killed), `worker stop` and `status` see it; `service install` writes a systemd
 * unit that systemd-analyze accepts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sandbox } from '../helpers/cli-sandbox.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { tmuxOn } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait-for.js';
import { isProcessAlive } from '../../src/worker/process-info.js';

const tmux = tmuxOn(`queuectl-service-${process.pid}`);
const leftover: number[] = [];

afterEach(() => {
  tmux.killServer();
  for (const pid of leftover.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

describe('worker start --detach', () => {
  it('returns at once, survives the terminal closing, and stops with worker stop', async () => {
    const s = sandbox();
    const out = join(s.home, 'detach.out');
    tmux.open(
      s,
      `${process.execPath} ${CLI} worker start --count 2 --detach > ${out} 2>&1; echo END >> ${out}; sleep 600`,
      { height: 20 },
    );
    const printed = await waitFor(() => {
      const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
      return text.includes('END') ? text : null;
    });
    const pid = Number(/supervisor pid (\d+)/.exec(printed)?.[1]);
    leftover.push(pid);
    expect(printed).toMatch(/^started 2 workers in the background on .* \(supervisor pid \d+\)$/m);
    const log = /^log: (.+)$/m.exec(printed)![1]!;
    expect(log.startsWith(join(s.home, '.local', 'share', 'queuectl'))).toBe(true);
    expect(existsSync(log)).toBe(true);

    // Closing the terminal: tmux's session ends and its processes get SIGHUP.
    tmux.killServer();
    const { workers } = await s.json<{ workers: { pid: number }[] }>(['status']);
    expect(workers).toHaveLength(2);
    expect(isProcessAlive(pid, null)).toBe(true);
    for (const w of workers) expect(isProcessAlive(w.pid, null)).toBe(true);

    await s.run(['enqueue', '--id', 'bg', '-c', 'echo from the background']);
    await waitFor(
      async () =>
        (await s.json<{ job: { state: string } }>(['show', 'bg'])).job.state === 'completed',
    );

    const stopped = await s.run(['worker', 'stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/^stopped 2 workers:/);
    await waitFor(() => !isProcessAlive(pid, null), { what: 'the supervisor to exit' });
    expect(readFileSync(log, 'utf8')).toMatch(/all workers stopped/);
  });

  it('with --drain and nothing to run: exits 0, says so, and starts nothing', async () => {
    const s = sandbox();
    const result = await s.run(['worker', 'start', '--drain', '--detach']);
    expect(result).toEqual({
      code: 0,
      stdout: `nothing to drain on ${s.db}: no job is waiting to run\n`,
      stderr: '',
    });
    expect((await s.json<{ workers: unknown[] }>(['status'])).workers).toEqual([]);
  });

  it('says so, with the reason from its log, when the workers cannot start', async () => {
    const s = sandbox();
    const result = await runCli({ ...s.env, env: { QUEUECTL_LAUNCHER: 'fork' } }, [
      'worker',
      'start',
      '--detach',
    ]);
    // A bad setting is found before anything is started in the background.
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/QUEUECTL_LAUNCHER/);
  });
});

describe('service install', () => {
  it('writes --concurrency into the unit, and refuses one out of range', async () => {
    const s = sandbox();
    const printed = await s.run(['service', 'install', '--print', '--count', '2', '-j', '8']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(
      /^ExecStart=\S+node \S+bin\.cjs worker start --quiet --count 2 --concurrency 8$/m,
    );
    const bad = await s.run(['service', 'install', '--print', '--concurrency', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^queuectl: --concurrency must be a whole number from 1 to 256/);
  });

  it('prints a unit that stops gracefully and that systemd-analyze verify accepts', async () => {
    const s = sandbox();
    const printed = await s.run([
      'service',
      'install',
      '--print',
      '--count',
      '3',
      '--stop-timeout',
      '2h',
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    const unit = printed.stdout;
    expect(unit).toMatch(/^ExecStart=\S+node \S+bin\.cjs worker start --quiet --count 3$/m);
    expect(unit).toMatch(/^Environment=QUEUECTL_DB=\S+queue\.db$/m);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^KillMode=mixed$/m);
    expect(unit).toMatch(/^TimeoutStopSec=7200$/m);
    const analyze = spawnSync('systemd-analyze', ['--version']);
    if (analyze.error) {
      process.stderr.write(
        '[queuectl] systemd-analyze is not installed: the unit is not verified\n',
      );
      return;
    }
    const path = join(tempDir(), 'queuectl-worker.service');
    writeFileSync(path, unit);
    const verified = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    expect(verified.status, verified.stderr).toBe(0);
  });

  it('writes a user unit under XDG_CONFIG_HOME and refuses a URL with a password', async () => {
    const s = sandbox();
    const config = tempDir();
    const written = await runCli({ ...s.env, env: { XDG_CONFIG_HOME: config } }, [
      'service',
      'install',
      '--user',
    ]);
    expect(written.code, written.stderr).toBe(0);
    const path = join(config, 'systemd', 'user', 'queuectl-worker.service');
    expect(readFileSync(path, 'utf8')).toMatch(/^WantedBy=default\.target$/m);
    expect(written.stdout).toMatch(/systemctl --user daemon-reload/);
    const refused = await s.run([
      '--db',
      'postgres://app:secret@db.example/app',
      'service',
      'install',
      '--print',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).not.toContain('secret');
    expect(refused.stderr).toMatch(/holds a password/);
  });
});
