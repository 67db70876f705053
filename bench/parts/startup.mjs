/**
 * Start-up, against `node -e ''` in the same rounds (medians, interleaved):
 * - `queuectl enqueue '<json>'` wall time;
 * - `queuectl worker start --count 2` to its first job's command running (the job writes the
 *   time it started; a Go implementation of queuectl does this in ~11 ms).
 * Where NODE_EXTRA_CA_CERTS is set, every Node start reads and parses that certificate file
 * first (~85 ms for the system bundle): `node -e ''` pays it, and so does the supervisor, but a
 * SQLite worker does not (worker-process.ts). The first-job figure is then also measured with it
 * unset, against `node -e ''` without it, so that both cases are on record.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, nowMs, ratio } from '../lib/measure.mjs';
import { CLI, cliEnv, run } from '../lib/processes.mjs';
import { tempPlace } from '../lib/fixtures.mjs';

/** Milliseconds from spawning `worker start --count 2 --drain` to its first job running. */
async function firstJobMs(place, env, round) {
  const db = join(place.dir, `first-${round}.db`);
  const mark = join(place.dir, `first-${round}.started`);
  const enqueued = await run(
    process.execPath,
    [CLI, '--db', db, 'enqueue', '-c', `date +%s%N > ${mark}`],
    { env },
  );
  if (enqueued.code !== 0) throw new Error(`enqueue exited ${enqueued.code}: ${enqueued.stderr}`);
  const started = nowMs();
  const drained = await run(
    process.execPath,
    [CLI, '--db', db, 'worker', 'start', '--count', '2', '--drain', '--quiet'],
    { env },
  );
  if (drained.code !== 0) throw new Error(`worker start exited ${drained.code}: ${drained.stderr}`);
  // date(1) prints nanoseconds since the epoch the moment the job's command runs.
  const jobStart = Number(readFileSync(mark, 'utf8')) / 1e6;
  rmSync(mark);
  return jobStart - started;
}

export async function measureStartup({ quick, log }) {
  const rounds = quick ? 7 : 21;
  const place = tempPlace('startup');
  try {
    const env = cliEnv(place.dir);
    const node = [];
    const enqueue = [];
    const firstJob = [];
    const certs = process.env.NODE_EXTRA_CA_CERTS;
    const envNoCerts = { ...env };
    delete envNoCerts.NODE_EXTRA_CA_CERTS;
    const nodeNoCerts = [];
    const firstJobNoCerts = [];
    log(`start-up: ${rounds} rounds${certs ? ', with and without NODE_EXTRA_CA_CERTS' : ''}`);
    for (let i = -1; i < rounds; i++) {
      const bare = await run(process.execPath, ['-e', ''], { env });
      const cli = await run(
        process.execPath,
        [CLI, 'enqueue', '{"command":"true"}', '--db', place.db],
        { env },
      );
      if (cli.code !== 0) throw new Error(`enqueue exited ${cli.code}: ${cli.stderr}`);
      const first = await firstJobMs(place, env, i + 1);
      if (certs) {
        const bareNoCerts = await run(process.execPath, ['-e', ''], { env: envNoCerts });
        const firstNoCerts = await firstJobMs(place, envNoCerts, `${i + 1}-no-certs`);
        if (i >= 0) {
          nodeNoCerts.push(bareNoCerts.ms);
          firstJobNoCerts.push(firstNoCerts);
        }
      }
      if (i < 0) continue; // the first round warms the file cache and creates the database
      node.push(bare.ms);
      enqueue.push(cli.ms);
      firstJob.push(first);
    }
    const cliMs = median(enqueue);
    const nodeMs = median(node);
    const r = ratio(cliMs, nodeMs);
    return [
      {
        figure: "Start-up: `queuectl enqueue '<json>'` wall time (median)",
        result: fmt(cliMs, 'ms'),
        baseline: `${fmt(nodeMs, 'ms')} (\`node -e ''\`)`,
        ratio: r,
        target: '≤ 1.3×',
        met: r <= 1.3,
      },
      firstJobRow(median(firstJob), nodeMs),
      ...(certs ? [noCertsRow(median(firstJobNoCerts), median(nodeNoCerts))] : []),
    ];
  } finally {
    place.cleanup();
  }
}

function noCertsRow(ms, nodeMs) {
  return {
    figure: 'The same with `NODE_EXTRA_CA_CERTS` unset (it is set here)',
    result: fmt(ms, 'ms'),
    baseline: `${fmt(nodeMs, 'ms')} (\`node -e ''\` without it)`,
    ratio: ratio(ms, nodeMs),
    target: 'reported',
    met: null,
  };
}

function firstJobRow(ms, nodeMs) {
  const r = ratio(ms, nodeMs);
  return {
    figure: "`worker start --count 2` → first job's command running (a Go queuectl: ~11 ms)",
    result: fmt(ms, 'ms'),
    baseline: `${fmt(nodeMs, 'ms')} (\`node -e ''\`)`,
    ratio: r,
    target: '≤ 2×',
    met: r <= 2,
  };
}
