/** Running processes for the benchmark and reading their CPU and memory from /proc. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { statFields } from '../../dist/worker/process-info.js';
import { nowMs } from './measure.mjs';

export const CLI = fileURLToPath(new URL('../../dist/cli/bin.cjs', import.meta.url));
const RSS_REPORTER = fileURLToPath(new URL('./report-peak-rss.mjs', import.meta.url));

/** The environment the CLI runs in: a throw-away HOME, no colours. */
export function cliEnv(home, extra = {}) {
  const env = { ...process.env, HOME: home, XDG_DATA_HOME: '', NO_COLOR: '1', ...extra };
  delete env.QUEUECTL_DB;
  return env;
}

/** Runs a command to its end; resolves with its exit code, output and wall time (ms). */
export function run(command, args, { env, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: nowMs() - started }));
    child.stdin.end(input);
  });
}

/** Runs the built CLI; throws with its stderr when it fails. */
export async function runCli(home, args, options = {}) {
  const result = await run(process.execPath, [CLI, ...args], { ...options, env: cliEnv(home) });
  if (result.code !== 0) {
    throw new Error(`queuectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result;
}

/** Runs the CLI and also reports its peak resident memory (KiB), measured inside the process. */
export async function runCliWithPeakRss(home, args, rssFile) {
  const env = cliEnv(home, { BENCH_PEAK_RSS_FILE: rssFile });
  const result = await run(process.execPath, ['--import', RSS_REPORTER, CLI, ...args], { env });
  if (result.code !== 0) {
    throw new Error(`queuectl ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return { ...result, peakRssKiB: Number(readFileSync(rssFile, 'utf8')) };
}

/** USER_HZ; 100 on every Linux build in use. */
const CLOCK_TICKS_PER_SECOND = 100;
/** Milliseconds in a tick of /proc/<pid>/stat's CPU times. */
export const TICK_MS = 1000 / CLOCK_TICKS_PER_SECOND;

/**
 * CPU ticks (user + system) of a process so far, `own`, and of the children it has reaped,
 * `reaped`; null when it is gone.
 */
export function cpuTicks(pid) {
  const fields = statFields(pid, 15); // [11] utime, [12] stime, [13] cutime, [14] cstime
  if (!fields) return null;
  return {
    own: Number(fields[11]) + Number(fields[12]),
    reaped: Number(fields[13]) + Number(fields[14]),
  };
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuTimeMs(pid) {
  const ticks = cpuTicks(pid);
  if (!ticks) throw new Error(`process ${pid} is gone`);
  return ticks.own * TICK_MS;
}

/** CPU ticks of every process owned by the `postgres` user, exited children included; or null. */
export function postgresTicks() {
  let pids;
  try {
    pids = execFileSync('pgrep', ['-u', 'postgres'], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of pids) {
    const process = cpuTicks(Number(pid)); // nothing from one that exited meanwhile
    if (process) ticks += process.own + process.reaped;
  }
  return ticks;
}

/** Resident memory of a process now, in KiB. */
export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** Waits for a child process to exit. */
export function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
