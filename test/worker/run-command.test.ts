/**
 * Running a job's command, once per launcher: posix_spawn (used on Linux with glibc) and
 * child_process (everywhere else). Real shells, real files, real signals.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { logPath } from '../../src/core/output-files.js';
import { decodeEnvironment, encodeEnvironment } from '../../src/store/environments.js';
import { pickLauncher, type Launcher } from '../../src/worker/launcher.js';
import { childProcessLauncher } from '../../src/worker/node-launcher.js';
import { loadPosixSpawnLauncher } from '../../src/worker/posix-spawn-launcher.js';
import { runCommand, type RunOptions } from '../../src/worker/run-command.js';
import { isProcessAlive } from '../../src/worker/process-info.js';
import { glibcVersion } from '../helpers/glibc.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

// Set before the first run: a worker copies its environment once, at its first job.
process.env.QUEUECTL_TEST_INHERITED = 'yes';

const posixSpawn = loadPosixSpawnLauncher();
/** This process's open descriptors (a run that fails halfway must leave none of its own open). */
const openFds = () => readdirSync('/proc/self/fd').length;
/** Gone, or a zombie waiting for init to reap it (this sandbox's init reaps every ~2 s). */
function dead(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}
/** Makes a directory immutable, which even root cannot create files in; false where chattr fails. */
function immutable(dir: string, on: boolean): boolean {
  try {
    execFileSync('chattr', [on ? '+i' : '-i', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
/**
 * Runs `true` in `cwd` with the built runCommand, as the user nobody (setpriv), and returns the
 * run's error line: for permission checks that root would pass.
 */
function runAsNobody(launcherName: string, logParent: string, cwd: string): string {
  const dist = (path: string) => pathToFileURL(join(import.meta.dirname, '../../dist', path)).href;
  const script = `
    const { runCommand } = await import(${JSON.stringify(dist('worker/run-command.js'))});
    const { pickLauncher } = await import(${JSON.stringify(dist('worker/launcher.js'))});
    const [logParent, launcher, cwd] = process.argv.slice(1);
    const running = runCommand({ command: 'true', jobId: 'nobody', attempt: 1, timeoutMs: null,
      killGraceMs: 1000, outputLimitBytes: 1024, logDir: logParent + '/logs',
      launcher: pickLauncher(launcher), cwd, host: 'h' });
    process.stdout.write((await running.result).error + '\\n');`;
  const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  return execFileSync(
    'setpriv',
    [
      ...nobody,
      process.execPath,
      '--input-type=module',
      '-e',
      script,
      logParent,
      launcherName,
      cwd,
    ],
    { encoding: 'utf8' },
  );
}
const launchers: Launcher[] = [childProcessLauncher, ...(posixSpawn ? [posixSpawn] : [])];

it('has posix_spawn wherever glibc is, so its tests below run', () => {
  const glibc = glibcVersion();
  expect(posixSpawn !== null).toBe(Boolean(glibc));
  expect(pickLauncher(undefined).name).toBe(glibc ? 'posix_spawn' : 'child_process');
});

it('refuses a launcher name it does not know, in one line that lists the choices', () => {
  expect(() => pickLauncher('fork')).toThrow(/must be posix_spawn or child_process/);
  expect(pickLauncher('child_process')).toBe(childProcessLauncher);
});

describe.each(launchers.map((launcher) => [launcher.name, launcher] as const))(
  'runCommand with %s',
  (_name, launcher) => {
    let counter = 0;
    const run = (command: string, options: Partial<RunOptions> = {}) => {
      const logDir = tempDir();
      const jobId = `job-${++counter}`;
      const running = runCommand({
        command,
        jobId,
        attempt: 1,
        timeoutMs: null,
        killGraceMs: 1000,
        outputLimitBytes: 1024 * 1024,
        logDir,
        launcher,
        ...options,
      });
      const output = (stream: 'stdout' | 'stderr') => {
        const path = logPath(logDir, jobId, 1, stream);
        return existsSync(path) ? readFileSync(path, 'utf8') : null;
      };
      return { running, output, logDir, jobId };
    };

    it('captures stdout and stderr apart and reports the exit code with the last error line', async () => {
      const { running, output } = run('echo out; echo first >&2; echo last >&2; exit 3');
      const result = await running.result;
      expect(result).toMatchObject({
        outcome: 'failed',
        exitCode: 3,
        signal: null,
        error: 'exited with code 3: last',
      });
      expect(output('stdout')).toBe('out\n');
      expect(output('stderr')).toBe('first\nlast\n');
    });

    it('leaves no files behind for a job that writes nothing', async () => {
      const { running, logDir } = run('true');
      expect((await running.result).outcome).toBe('completed');
      expect(readdirSync(logDir)).toEqual([]);
    });

    it('reports a job killed by a signal', async () => {
      const result = await run('kill -TERM $$').running.result;
      expect(result).toMatchObject({ outcome: 'failed', exitCode: null, signal: 'SIGTERM' });
      expect(result.error).toMatch(/^killed by SIGTERM/);
    });

    it('gives the job its own session and process group, default signals and stdin on /dev/null', async () => {
      const { running, output } = run(
        // The signal state is read by the job's own process (exec'd grep reading /proc/self):
        // a shell's mask, read from outside, is briefly full while it forks and waits.
        'cut -d" " -f5,6 /proc/$$/stat; readlink /proc/$$/fd/0; exec grep -E "^Sig(Ign|Blk)" /proc/self/status',
      );
      const { pid } = running;
      expect((await running.result).outcome).toBe('completed');
      // Node ignores SIGPIPE; a job must not inherit that, or `yes | head` would never end.
      const [ids, stdin, blocked, ignored] = output('stdout')!.trim().split('\n');
      expect({ ids, blocked, ignored, stdin }).toEqual({
        ids: `${pid} ${pid}`,
        blocked: 'SigBlk:\t0000000000000000',
        ignored: 'SigIgn:\t0000000000000000',
        stdin: '/dev/null',
      });
    });

    it("passes the worker's environment and the job's own variables", async () => {
      const { running, output } = run(
        'echo "$QUEUECTL_TEST_INHERITED $QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT $QUEUECTL_WORKER_PID"',
        { attempt: 1 },
      );
      await running.result;
      expect(output('stdout')).toMatch(new RegExp(`^yes job-\\d+ 1 ${process.pid}\\n$`));
    });

    it('does not hand the job descriptors the worker opened', async () => {
      const dir = tempDir();
      const fd = openSync(join(dir, 'private'), 'w');
      try {
        const { running, output } = run('ls /proc/$$/fd');
        await running.result;
        const fds = output('stdout')!.trim().split('\n').map(Number);
        expect(fds).toEqual(expect.arrayContaining([0, 1, 2]));
        expect(fds).not.toContain(fd);
      } finally {
        closeSync(fd);
      }
    });

    it('cuts output at the limit and says how much was dropped', async () => {
      const { running, output } = run('printf "%0150d" 0; printf "%050d" 0 >&2', {
        outputLimitBytes: 100,
      });
      expect((await running.result).outcome).toBe('completed');
      expect(output('stdout')).toMatch(
        /^0{100}\n\[queuectl: (at least )?50 more bytes were dropped; output-limit is 100 bytes\]\n$/,
      );
      expect(output('stderr')).toBe('0'.repeat(50));
    });

    it('keeps a flood from filling the disk while it runs', async () => {
      const { running, output, logDir, jobId } = run('head -c 300000000 /dev/zero; sleep 30', {
        outputLimitBytes: 1000,
        timeoutMs: 60_000,
      });
      const path = logPath(logDir, jobId, 1, 'stdout');
      // The flood is written within a second or two; then the job sleeps, and its file must
      // already be back at the limit, long before the job ends.
      await waitFor(() => existsSync(path) && readFileSync(path).length === 1000, {
        what: 'the flooded file to be cut back to the limit while the job runs',
      });
      running.interrupt();
      expect((await running.result).outcome).toBe('interrupted');
      expect(output('stdout')).toMatch(/\[queuectl: at least \d+ more bytes were dropped/);
    });

    it('times out: kills the whole process group, then reports timed_out', async () => {
      const dir = tempDir();
      const { running } = run(`sleep 30 & echo $! > ${dir}/child; wait`, { timeoutMs: 200 });
      const result = await running.result;
      expect(result).toMatchObject({ outcome: 'timed_out', error: 'timed out after 200ms' });
      const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
      await waitFor(() => !isProcessAlive(child, null), { what: 'the background sleep to die' });
    });

    it('kills what the shell left running in its group when it exits', async () => {
      const dir = tempDir();
      const { running } = run(`sleep 30 & echo $! > ${dir}/child`);
      expect((await running.result).outcome).toBe('completed');
      const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
      await waitFor(() => !isProcessAlive(child, null), { what: 'the leftover sleep to die' });
    });

    it('stops at once when interrupted', async () => {
      const { running } = run('sleep 30');
      await waitFor(() => readdirSync('/proc').includes(String(running.pid)));
      running.interrupt();
      expect(await running.result).toMatchObject({ outcome: 'interrupted', signal: 'SIGKILL' });
    });

    describe('a run that cannot be prepared ends spawn_failed, and nothing is left open', () => {
      const prepare = async (logDir: string, jobId = `prep-${++counter}`) => {
        const before = openFds();
        const running = runCommand({
          command: 'echo out; echo err >&2',
          jobId,
          attempt: 1,
          timeoutMs: null,
          killGraceMs: 1000,
          outputLimitBytes: 1024,
          logDir,
          launcher,
        });
        const result = await running.result;
        expect(openFds()).toBe(before);
        return { result, running, jobId };
      };

      it('makes a log directory that was removed again', async () => {
        const logDir = join(tempDir(), 'q.db.logs');
        expect((await prepare(logDir)).result.outcome).toBe('completed');
        rmSync(logDir, { recursive: true });
        const { result, jobId } = await prepare(logDir);
        expect(result.outcome).toBe('completed');
        expect(statSync(logDir).mode & 0o777).toBe(0o700);
        expect(readFileSync(logPath(logDir, jobId, 1, 'stdout'), 'utf8')).toBe('out\n');
      });

      it('a file where the log directory should be', async () => {
        const logDir = join(tempDir(), 'q.db.logs');
        writeFileSync(logDir, 'not a directory');
        const { result, running } = await prepare(logDir);
        expect(running.pid).toBeNull();
        expect(result).toMatchObject({ outcome: 'spawn_failed', exitCode: null, signal: null });
        expect(result.error).toBe(
          `log directory ${logDir} is not a directory; move the file away (queuectl makes the directory)`,
        );
        expect(readFileSync(logDir, 'utf8')).toBe('not a directory');
      });

      it('a log directory that is a symlink: refused, nothing written where it points', async () => {
        const target = tempDir();
        const logDir = join(tempDir(), 'q.db.logs');
        symlinkSync(target, logDir);
        const { result } = await prepare(logDir);
        expect(result.outcome).toBe('spawn_failed');
        expect(result.error).toMatch(
          /^log directory .* is a symlink, which queuectl does not follow/,
        );
        expect(readdirSync(target)).toEqual([]);
      });

      it('a log directory where even root cannot create files (chattr +i)', async (context) => {
        const logDir = join(tempDir(), 'q.db.logs');
        mkdirSync(logDir, { mode: 0o700 });
        if (!immutable(logDir, true)) return context.skip();
        try {
          const { result, jobId } = await prepare(logDir);
          expect(result).toMatchObject({
            outcome: 'spawn_failed',
            error: `cannot create output file ${logPath(logDir, jobId, 1, 'stdout')}: EPERM`,
          });
        } finally {
          immutable(logDir, false);
        }
      });

      it('stdout created, then stderr cannot be: stdout is closed and removed', async () => {
        const logDir = tempDir();
        const jobId = `half-${++counter}`;
        // A non-empty directory at stderr's name: neither created over nor removed.
        mkdirSync(join(logPath(logDir, jobId, 1, 'stderr'), 'inside'), { recursive: true });
        const { result } = await prepare(logDir, jobId);
        expect(result).toMatchObject({
          outcome: 'spawn_failed',
          error: `cannot create output file ${logPath(logDir, jobId, 1, 'stderr')}: EISDIR`,
        });
        expect(existsSync(logPath(logDir, jobId, 1, 'stdout'))).toBe(false);
      });

      it('a launcher that throws', async () => {
        const logDir = tempDir();
        const before = openFds();
        const broken: Launcher = {
          name: launcher.name,
          launch: () => {
            throw new Error('spawn /bin/sh EMFILE');
          },
        };
        const running = runCommand({
          command: 'true',
          jobId: `throws-${++counter}`,
          attempt: 1,
          timeoutMs: null,
          killGraceMs: 1000,
          outputLimitBytes: 1024,
          logDir,
          launcher: broken,
        });
        expect(await running.result).toMatchObject({
          outcome: 'spawn_failed',
          error: 'could not start /bin/sh: spawn /bin/sh EMFILE',
        });
        expect(openFds()).toBe(before);
        expect(readdirSync(logDir)).toEqual([]);
      });
    });

    it('does not follow a symlink planted at an output file: its target is untouched', async () => {
      const logDir = tempDir();
      const victim = join(tempDir(), 'victim');
      writeFileSync(victim, 'precious\n');
      const jobId = `planted-${++counter}`;
      symlinkSync(victim, logPath(logDir, jobId, 1, 'stdout'));
      symlinkSync(victim, logPath(logDir, jobId, 1, 'stderr'));
      const running = runCommand({
        command: 'echo overwritten; echo overwritten >&2; exit 1',
        jobId,
        attempt: 1,
        timeoutMs: null,
        killGraceMs: 1000,
        outputLimitBytes: 1024,
        logDir,
        launcher,
      });
      // The error quotes stderr as written by the job, not the symlink's target.
      expect(await running.result).toMatchObject({
        outcome: 'failed',
        error: 'exited with code 1: overwritten',
      });
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      const stdout = logPath(logDir, jobId, 1, 'stdout');
      expect(lstatSync(stdout).isFile()).toBe(true);
      expect(readFileSync(stdout, 'utf8')).toBe('overwritten\n');
    });

    it('tightens a log directory left looser than 0700', async () => {
      const logDir = tempDir();
      chmodSync(logDir, 0o777);
      const { running } = run('true', { logDir });
      expect((await running.result).outcome).toBe('completed');
      expect(statSync(logDir).mode & 0o777).toBe(0o700);
    });

    it.each(['exits', 'times out', 'is interrupted'])(
      'kills a child that moved to a process group of its own when the job %s',
      async (ending) => {
        const dir = tempDir();
        // perl's setpgrp(0,0) is setpgid(0,0): a new group, in the same session. It writes its
        // new group id once it has moved; the job waits for that, then exits or sleeps on.
        const escape =
          `perl -e 'setpgrp(0,0); open(my $f, ">", "${dir}/moved.tmp"); print $f getpgrp(); ` +
          `close($f); rename("${dir}/moved.tmp", "${dir}/moved"); sleep 100' & ` +
          `echo $! > ${dir}/child; until [ -e ${dir}/moved ]; do sleep 0.01; done`;
        const { running } = run(ending === 'exits' ? escape : `${escape}; sleep 100`, {
          timeoutMs: ending === 'times out' ? 500 : null,
          killGraceMs: 200,
        });
        const moved = join(dir, 'moved');
        await waitFor(() => existsSync(moved), { what: 'the child to leave the job group' });
        const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
        try {
          expect(readFileSync(moved, 'utf8')).toBe(String(child));
          if (ending === 'is interrupted') running.interrupt();
          const result = await running.result;
          expect(result.outcome).toBe(
            { exits: 'completed', 'times out': 'timed_out', 'is interrupted': 'interrupted' }[
              ending
            ],
          );
          await waitFor(() => dead(child), { what: 'the escaped child to die' });
        } finally {
          if (isProcessAlive(child, null)) process.kill(child, 'SIGKILL');
        }
      },
    );

    describe('working directory and environment', () => {
      const recorded = {
        inherit: false,
        vars: {
          PATH: '/usr/bin:/bin',
          GREETING: 'a=b c',
          UNICODE: 'ünï 🚀',
          QUEUECTL_JOB_ID: 'recorded-id',
        },
      };

      const { QUEUECTL_JOB_ID: _ours, ...recordedWithoutOurs } = recorded.vars;
      void _ours;

      it('runs in its recorded directory with exactly its recorded environment', async () => {
        const dir = tempDir();
        const { running, output, jobId } = run(
          'pwd; echo "$GREETING|$UNICODE|$QUEUECTL_JOB_ID|${QUEUECTL_TEST_INHERITED-unset}"; env | cut -d= -f1 | sort | tr "\\n" " "',
          { cwd: dir, env: recorded },
        );
        expect((await running.result).outcome).toBe('completed');
        const [pwd, values, names] = output('stdout')!.split('\n');
        expect(pwd).toBe(dir);
        // QUEUECTL_JOB_ID is the worker's, over the recorded one.
        expect(values).toBe(`a=b c|ünï 🚀|${jobId}|unset`);
        // sh itself adds PWD (and may add SHLVL, _); nothing of the worker's environment.
        expect(names!.trim().split(' ')).toEqual(
          expect.arrayContaining([
            'GREETING',
            'PATH',
            'QUEUECTL_ATTEMPT',
            'QUEUECTL_JOB_ID',
            'QUEUECTL_WORKER_PID',
            'UNICODE',
          ]),
        );
        expect(names).not.toContain('QUEUECTL_TEST_INHERITED');
        expect(names).not.toContain('HOME');
      });

      it('gives each job of one recorded environment its own QUEUECTL_ variables, once each', async () => {
        // One object for every job, as the store hands it out: the launcher prepares it once.
        const shared = decodeEnvironment(
          0,
          encodeEnvironment({ inherit: false, vars: recordedWithoutOurs }).vars,
        );
        for (const round of [1, 2]) {
          const { running, output, jobId } = run(
            'echo "$QUEUECTL_JOB_ID|$QUEUECTL_ATTEMPT|$GREETING|$(env | grep -c ^QUEUECTL_JOB_ID=)|${QUEUECTL_TEST_INHERITED-unset}"',
            { env: shared },
          );
          expect((await running.result).outcome, `round ${round}`).toBe('completed');
          expect(output('stdout')).toBe(`${jobId}|1|a=b c|1|unset\n`);
        }
      });

      it("with inherit, gets the worker's environment and its own variables over it", async () => {
        const { running, output } = run('echo "$QUEUECTL_TEST_INHERITED $ONLY_HERE $HOME"', {
          env: { inherit: true, vars: { ONLY_HERE: 'x', HOME: '/elsewhere' } },
        });
        await running.result;
        expect(output('stdout')).toBe('yes x /elsewhere\n');
      });

      it('follows a symlink to a directory', async () => {
        const dir = tempDir();
        const link = join(tempDir(), 'link');
        symlinkSync(dir, link);
        const { running, output } = run('pwd -P', { cwd: link });
        expect((await running.result).outcome).toBe('completed');
        expect(output('stdout')).toBe(`${dir}\n`);
      });

      it.each([
        ['a directory that does not exist', 'missing', 'does not exist'],
        ['a file', 'file', 'is not a directory'],
        ['a symlink to a file', 'link-to-file', 'is not a directory'],
        [
          'a path through a file',
          'file/below',
          'does not exist (a part of its path is not a directory)',
        ],
      ])('ends spawn_failed, saying why, in %s', async (_what, name, problem) => {
        const dir = tempDir();
        writeFileSync(join(dir, 'file'), '');
        symlinkSync(join(dir, 'file'), join(dir, 'link-to-file'));
        const cwd = join(dir, name);
        const before = openFds();
        const { running, logDir } = run('echo never', { cwd, host: 'host-x' });
        expect(running.pid).toBeNull();
        expect(await running.result).toMatchObject({
          outcome: 'spawn_failed',
          exitCode: null,
          error: `working directory ${cwd} ${problem} on host host-x`,
        });
        expect(readdirSync(logDir)).toEqual([]);
        expect(openFds()).toBe(before);
      });

      it('ends spawn_failed for a directory it cannot enter', async () => {
        const place = tempDir();
        const dir = join(place, 'locked');
        mkdirSync(dir, { mode: 0o600 });
        const expected = `working directory ${dir} cannot be entered (EACCES) on host h`;
        if (process.geteuid?.() !== 0) {
          const { running } = run('true', { cwd: dir, host: 'h' });
          expect((await running.result).error).toBe(expected);
          return;
        }
        // Root enters anything: the same run, built, in a process of the user nobody.
        chmodSync(place, 0o777);
        expect(runAsNobody(launcher.name, place, dir)).toBe(`${expected}\n`);
      });
    });

    describe('cancel', () => {
      it('ends the run like a timeout: the session is killed, background children too', async () => {
        const dir = tempDir();
        const { running } = run(`sleep 30 & echo $! > ${dir}/child; wait`, { killGraceMs: 5000 });
        await waitFor(() => existsSync(join(dir, 'child')), { what: 'the child to start' });
        const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
        const asked = performance.now();
        running.cancel();
        running.cancel();
        const result = await running.result;
        // SIGTERM ended the shell at once, long before the kill grace.
        expect(performance.now() - asked).toBeLessThan(2000);
        expect(result).toMatchObject({ outcome: 'cancelled', error: 'cancelled' });
        await waitFor(() => dead(child), { what: 'the background sleep to die' });
      });

      it('SIGKILLs a job that ignores SIGTERM once the kill grace has passed', async () => {
        const dir = tempDir();
        const { running } = run(`trap '' TERM; touch ${dir}/ready; sleep 30; sleep 30`, {
          killGraceMs: 300,
        });
        await waitFor(() => existsSync(join(dir, 'ready')), { what: 'the trap to be set' });
        const asked = performance.now();
        running.cancel();
        const result = await running.result;
        expect(performance.now() - asked).toBeGreaterThanOrEqual(290);
        expect(result).toMatchObject({ outcome: 'cancelled', signal: 'SIGKILL' });
      });

      it('a cancel after the timeout has begun leaves the run timed out', async () => {
        const { running } = run("trap '' TERM; sleep 30", { killGraceMs: 200, timeoutMs: 100 });
        await waitFor(
          () => running.pid !== null && readdirSync('/proc').includes(String(running.pid)),
        );
        const result = await new Promise<Awaited<typeof running.result>>((resolve) => {
          setTimeout(() => {
            running.cancel();
            resolve(running.result);
          }, 150);
        });
        expect(result.outcome).toBe('timed_out');
      });
    });

    it('reports a program that cannot be started, without a pid', async () => {
      const dir = tempDir();
      const out = openSync(join(dir, 'out'), 'w');
      try {
        const launched = launcher.launch({
          file: join(dir, 'no-such-shell'),
          args: [],
          env: {},
          stdout: out,
          stderr: out,
        });
        expect(launched.pid).toBeNull();
        await expect(launched.exited).rejects.toMatchObject({ code: 'ENOENT' });
      } finally {
        closeSync(out);
      }
    });
  },
);

describe('many children at once', () => {
  it('notices a short job ending while four long ones still run (no thread held per child)', async () => {
    const launcher = loadPosixSpawnLauncher() ?? childProcessLauncher;
    const start = (command: string) =>
      runCommand({
        command,
        jobId: `many-${Math.random().toString(36).slice(2)}`,
        attempt: 1,
        timeoutMs: null,
        killGraceMs: 1000,
        outputLimitBytes: 1024 * 1024,
        logDir: tempDir(),
        launcher,
      });
    const long = Array.from({ length: 6 }, () => start('sleep 30'));
    const began = performance.now();
    const short = await start('sleep 0.2').result;
    const tookMs = performance.now() - began;
    for (const run of long) run.interrupt();
    await Promise.all(long.map((run) => run.result));
    expect(short.outcome).toBe('completed');
    // With a blocking wait per child on libuv's 4 threads, this took the long jobs' 30 s.
    expect(tookMs).toBeLessThan(5000);
  });
});
