/**
 * Runs completion hooks (core/hooks.ts) for one worker process: `/bin/sh -c CMD` in a session
 * of its own, with the job's facts in its environment, under hook-timeout. Never in the way of
 * the worker: a hook is started and left to run (the worker goes on with its next job), at most
 * MAX_RUNNING at once, further ones wait in a bounded queue. A hook's stdout is discarded; its
 * stderr is read only for the last line to log when it fails, and closed past STDERR_READ_MAX.
 * At its timeout, and when its shell exits, every process left in its session is killed, as for
 * jobs (a daemon that calls setsid escapes, as it would from a job). A failing hook is logged,
 * never retried, and never changes the job.
 */
import { spawn } from 'node:child_process';
import { hookEnvironment, type HookSubject } from '../core/hooks.js';
import { logPath } from '../core/output-files.js';
import type { JobState } from '../core/job.js';
import { setLongTimeout } from '../core/timers.js';
import { formatDuration } from '../core/units.js';
import { JobSession } from './job-session.js';

/** Hooks running at once per worker process; more wait in a queue of at most MAX_WAITING. */
const MAX_RUNNING = 4;
const MAX_WAITING = 1000;
/** A hook's stderr is read up to this much (for its last line), then closed. */
const STDERR_READ_MAX = 1024 * 1024;
const TAIL_BYTES = 1024;
/** After a hook's shell exits, its stderr is read this much longer at most. */
const STDERR_DRAIN_MS = 2000;

export interface HookRunnerOptions {
  /** hook-timeout, read when each hook starts (settings change while workers run). */
  timeoutMs: () => number;
  log: (message: string) => void;
}

interface Waiting {
  command: string;
  subject: HookSubject;
}

interface Running {
  done: Promise<void>;
  kill(): void;
}

export class HookRunner {
  private readonly running = new Set<Running>();
  private readonly waiting: Waiting[] = [];
  private dropped = 0;

  constructor(private readonly options: HookRunnerOptions) {}

  /** Starts (or queues) the hook `command` for `subject`; returns at once. */
  run(command: string, subject: HookSubject): void {
    if (this.running.size < MAX_RUNNING) {
      this.start({ command, subject });
      return;
    }
    if (this.waiting.length >= MAX_WAITING) {
      if (this.dropped++ === 0) {
        this.options.log(
          `hook ${hookName(subject.state)} for job ${subject.jobId}: not run, ${MAX_WAITING} hooks are already waiting (hooks are slower than jobs finish)`,
        );
      }
      return;
    }
    this.waiting.push({ command, subject });
  }

  /** Hooks started or waiting. */
  get pending(): number {
    return this.running.size + this.waiting.length;
  }

  /**
   * Waits for running and waiting hooks (a graceful stop: the last job's hook still runs), for
   * at most `withinMs`; then kills what runs and drops what waits.
   */
  async drain(withinMs: number): Promise<void> {
    let timedOut = false;
    const timer = setLongTimeout(() => (timedOut = true), withinMs, { unref: true });
    while (this.pending > 0 && !timedOut) {
      await Promise.race([
        ...[...this.running].map((hook) => hook.done),
        new Promise((resolve) => setTimeout(resolve, 100)),
      ]);
    }
    timer.clear();
    this.killAll();
  }

  /** Kills every running hook's session and drops the waiting ones (a stop at once). */
  killAll(): void {
    if (this.waiting.length > 0) {
      this.options.log(`${this.waiting.length} waiting hooks not run: the worker is stopping`);
      this.waiting.length = 0;
    }
    for (const hook of this.running) hook.kill();
  }

  private start({ command, subject }: Waiting): void {
    const name = `hook ${hookName(subject.state)} for job ${subject.jobId}`;
    const timeoutMs = this.options.timeoutMs();
    let child;
    try {
      child = spawn('/bin/sh', ['-c', command], {
        detached: true, // a session of its own (setsid), killed as a whole
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...hookEnvironment(subject) },
      });
    } catch (error) {
      this.options.log(`${name}: could not start /bin/sh: ${(error as Error).message}`);
      return;
    }
    const session = child.pid === undefined ? null : new JobSession(child.pid);
    let tail = '';
    let read = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      read += chunk.length;
      tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
      if (read > STDERR_READ_MAX) child.stderr.destroy();
    });
    child.stderr.on('error', () => {});
    let timedOut = false;
    const timer = setLongTimeout(() => {
      timedOut = true;
      session?.signal('SIGKILL');
    }, timeoutMs);
    const hook: Running = {
      kill: () => session?.signal('SIGKILL'),
      done: new Promise<void>((resolve) => {
        let finished = false;
        const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
          if (finished) return;
          finished = true;
          timer.clear();
          const last = printable(tail.trim().split('\n').pop() ?? '');
          const detail = last ? `: ${last}` : '';
          if (error) this.options.log(`${name}: could not start /bin/sh: ${error.message}`);
          else if (timedOut) {
            this.options.log(`${name}: killed after ${formatDuration(timeoutMs)} (hook-timeout)`);
          } else if (signal) this.options.log(`${name}: killed by ${signal}${detail}`);
          else if (code !== 0) this.options.log(`${name}: exited with code ${code}${detail}`);
          this.running.delete(hook);
          const next = this.waiting.shift();
          if (next) this.start(next);
          resolve();
        };
        child.once('error', (error) => finish(null, null, error));
        child.once('exit', (code, signal) => {
          // The shell is gone: whatever it left in its session goes too. Then its stderr is
          // read to the end (for the last line), unless a process that left the session
          // (setsid) still holds it open.
          session?.ended();
          const done = () => finish(code, signal);
          if (child.stderr.closed) return done();
          child.stderr.once('close', done);
          setTimeout(done, STDERR_DRAIN_MS).unref();
        });
      }),
    };
    this.running.add(hook);
  }
}

/** A line as it may be logged: control characters (a hook may print anything) shown as ?. */
function printable(line: string): string {
  return (
    line
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, '?')
      .trim()
      .slice(0, 300)
  );
}

function hookName(state: JobState): string {
  return `on-${state}`;
}

/** A hook's subject from a run's facts; its output files are named by job id and run number. */
export function runSubject(
  logDir: string,
  facts: Omit<HookSubject, 'stdoutPath' | 'stderrPath'>,
): HookSubject {
  const ran = facts.attempt > 0;
  return {
    ...facts,
    stdoutPath: ran ? logPath(logDir, facts.jobId, facts.attempt, 'stdout') : null,
    stderrPath: ran ? logPath(logDir, facts.jobId, facts.attempt, 'stderr') : null,
  };
}
