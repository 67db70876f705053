/**
 * After the bundles: runs each start-up bundle once, on a throw-away database in a temporary
 * directory, and writes V8's code cache of everything that run compiled beside the bundle
 * (<bundle>.v8cache, loaded through core/cached-require.cjs):
 * - dist/cli/fast-enqueue.bundle.cjs: one `queuectl enqueue '<json>'` (bin.cjs loads it);
 * - dist/cli/fast-worker-start.bundle.cjs: one `queuectl worker start --count 1 --drain` draining
 *   one job (bin.cjs loads it);
 * - dist/worker/worker-main.bundle.cjs: a worker draining one job (worker-entry.cjs loads it).
 *   A code cache is only accepted by a Node started with the same V8 flags, so this part runs in
 *   a Node of its own started with the workers' options (worker-process.ts).
 * A failure only costs the speed-up: it is reported and the build goes on.
 */
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { clearTimeout, setTimeout } from 'node:timers';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL, URL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const CLI = join(dist, 'cli', 'bin.cjs');
const ENQUEUE_BUNDLE = join(dist, 'cli', 'fast-enqueue.bundle.cjs');
const WORKER_START_BUNDLE = join(dist, 'cli', 'fast-worker-start.bundle.cjs');
const WORKER_BUNDLE = join(dist, 'worker', 'worker-main.bundle.cjs');
const { cacheFileOf, compileBundle, headerOf } = createRequire(import.meta.url)(
  join(dist, 'core', 'cached-require.cjs'),
);
const { WORKER_RUNTIME_FLAGS } = await import(
  pathToFileURL(join(dist, 'worker', 'worker-process.js')).href
);

/** Runs `work` in a fresh temporary directory (the working directory meanwhile). */
async function inPlace(work) {
  const home = process.cwd();
  const place = mkdtempSync(join(tmpdir(), 'queuectl-warm-'));
  try {
    process.chdir(place);
    return await work(place);
  } finally {
    process.chdir(home);
    rmSync(place, { recursive: true, force: true });
  }
}

function writeCache(bundle, script) {
  const header = Buffer.from(`${JSON.stringify(headerOf(bundle))}\n`);
  writeFileSync(cacheFileOf(bundle), Buffer.concat([header, script.createCachedData()]));
}

/** Runs `work` with nothing written to this process's stdout and stderr. */
async function silently(work) {
  const { stdout, stderr } = process;
  const writes = [stdout.write, stderr.write];
  stdout.write = stderr.write = () => true;
  try {
    return await work();
  } finally {
    [stdout.write, stderr.write] = writes;
  }
}

/** One `true` job in a new database at `db`, through the CLI. */
function enqueueOne(db) {
  execFileSync(process.execPath, [CLI, '--db', db, 'enqueue', '{"command":"true"}'], {
    stdio: 'ignore',
  });
}

/**
 * Runs a fast path's bundle once on the command line `argsFor(db)` (`parse` and `run` name its
 * two exports; `prepare` readies the database) and writes its cache.
 */
async function warmFastPath(bundle, { parse, run, argsFor, prepare = () => {} }) {
  await inPlace(async (place) => {
    const db = join(place, 'warm.db');
    prepare(db);
    const { exports: fast, script } = compileBundle(bundle);
    const args = fast[parse](argsFor(db));
    if (args === null) throw new Error('the warm-up command line was not taken by the fast path');
    const code = await silently(() => fast[run](args));
    if (code !== 0) throw new Error(`the warm-up run exited ${code}`);
    writeCache(bundle, script);
  });
}

const warmEnqueue = () =>
  warmFastPath(ENQUEUE_BUNDLE, {
    parse: 'parseFastEnqueue',
    run: 'runFastEnqueue',
    argsFor: (db) => ['--db', db, 'enqueue', '{"command":"true"}'],
  });

/** After the worker's cache: the worker start it forks loads that one. */
const warmWorkerStart = () =>
  warmFastPath(WORKER_START_BUNDLE, {
    parse: 'parseFastWorkerStart',
    run: 'runFastWorkerStart',
    prepare: enqueueOne,
    argsFor: (db) => ['--db', db, 'worker', 'start', '--count', '1', '--drain', '--quiet'],
  });

/**
 * In the Node started for it: a worker drains one `true` job, as a forked worker would (the
 * bundle runs its main() when loaded and ends with process.exit, caught here).
 */
async function warmWorker() {
  await inPlace(async (place) => {
    const db = join(place, 'warm.db');
    enqueueOne(db);
    process.env.QUEUECTL_WORKER_DB = db;
    process.argv.push('--drain', '--quiet');
    const exit = process.exit;
    const exited = new Promise((resolve) => {
      process.exit = (code) => resolve(code ?? 0);
    });
    try {
      const { script } = compileBundle(WORKER_BUNDLE);
      const code = await exited;
      if (code !== 0) throw new Error(`the warm-up worker exited ${code}`);
      // The worker changes V8 flags once running (worker-main.ts favourMemory), and V8 stamps a
      // cache with the flags of the moment it is made: set back to V8's defaults, so that the
      // cache matches a worker that has just started (a test checks that V8 accepts it).
      for (const flag of WORKER_RUNTIME_FLAGS)
        flag.reset.forEach((reset) => setFlagsFromString(reset));
      writeCache(WORKER_BUNDLE, script);
    } finally {
      process.exit = exit;
    }
  });
}

/** A warm-up that has not finished by then has gone wrong (a worker that cannot start, say). */
const WARM_TIMEOUT_MS = 60_000;

async function warm(bundle, work) {
  let timer;
  try {
    await Promise.race([
      work(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('it did not finish within a minute')),
          WARM_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    rmSync(cacheFileOf(bundle), { force: true });
    process.stderr.write(`warning: no code cache for ${bundle} (${error.message})\n`);
  } finally {
    clearTimeout(timer);
  }
}

if (process.argv[2] === '--worker') {
  await warm(WORKER_BUNDLE, warmWorker);
  process.exit(0); // the worker's listeners (signals, IPC) would keep this Node alive
} else {
  await warm(ENQUEUE_BUNDLE, warmEnqueue);
  const { WORKER_NODE_OPTIONS } = await import(join(dist, 'worker', 'worker-process.js'));
  await warm(WORKER_BUNDLE, async () => {
    execFileSync(
      process.execPath,
      [...WORKER_NODE_OPTIONS, fileURLToPath(import.meta.url), '--worker'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  });
  await warm(WORKER_START_BUNDLE, warmWorkerStart);
  process.exit(0); // a warm-up that timed out may have left workers being restarted
}
