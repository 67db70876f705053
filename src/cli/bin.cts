#!/usr/bin/env node
/**
 * The queuectl executable. Two command lines run from a CommonJS bundle of their own fast path
 * (made by the build): the plain `queuectl enqueue '<json>'`, the call scripts make in loops
 * (fast-enqueue.bundle.cjs), and a plain `queuectl worker start`, whose first job should run as
 * soon as it can (fast-worker-start.bundle.cjs). CommonJS skips Node's ES module loader, about
 * 8 ms of a start-up that is mostly Node's own, and V8's code cache made by the build spares
 * compiling it (core/cached-require.cts), about 4 ms more. Every other command line, or a
 * checkout without the bundles, loads the full program (main.js). A `worker start` also forks
 * its first worker before any of that (worker/early-worker.cts).
 */
type CachedRequire = typeof import('../core/cached-require.cjs');
type EarlyWorkers = typeof import('../worker/early-worker.cjs');
type EarlyWorker = import('../worker/early-worker.cjs').EarlyWorker;

/** A fast path: recognises its command line (null: not this one) and runs it. */
interface FastPath<A> {
  parse(args: readonly string[]): A | null;
  run(args: A, early: EarlyWorker | null): Promise<number>;
}

function loadBundle(name: string): Record<string, unknown> | null {
  const bundle = `${__dirname}/${name}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file
    const { requireWithCodeCache } = require('../core/cached-require.cjs') as CachedRequire;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file
    return (requireWithCodeCache(bundle) ?? require(bundle)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
}

type EnqueueBundle = typeof import('./fast-enqueue.js');
type WorkerStartBundle = typeof import('./fast-worker-start.js');

/** The fast path for this command line, by its command word; null: the full program. */
function fastPathFor(args: readonly string[]): FastPath<unknown> | null {
  const command = commandWord(args);
  if (command === 'enqueue') {
    const bundle = loadBundle('fast-enqueue.bundle.cjs') as EnqueueBundle | null;
    if (!bundle) return null;
    return { parse: bundle.parseFastEnqueue, run: bundle.runFastEnqueue } as FastPath<unknown>;
  }
  if (command === 'worker') {
    const bundle = loadBundle('fast-worker-start.bundle.cjs') as WorkerStartBundle | null;
    if (!bundle) return null;
    return {
      parse: bundle.parseFastWorkerStart,
      run: bundle.runFastWorkerStart,
    } as FastPath<unknown>;
  }
  return null;
}

/** The first word that is neither an option nor --db's value: which command this is. */
function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--db') i++;
    else if (!args[i]!.startsWith('-')) return args[i];
  }
  return undefined;
}

const args = process.argv.slice(2);
// A password in a URL argument (--db postgres://app:secret@db/app) must not stay readable by
// every user through ps: rewrite this process's command line (what /proc/<pid>/cmdline shows)
// without it. It is visible only for the moment before this line; QUEUECTL_DB or PGPASSWORD
// avoid even that.
if (args.some((arg) => /:\/\/[^/@\s]*:[^@/\s]*@/.test(arg))) {
  process.title = ['queuectl', ...args]
    .map((arg) => arg.replace(/(\w+:\/\/[^/:@\s]*):[^@/\s]*@/g, '$1@'))
    .join(' ');
}
// A plain `worker start` forks its first worker first thing, so that the worker's Node start
// overlaps the rest of this one's (worker/early-worker.cts).
const earlyWorkers =
  commandWord(args) === 'worker'
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, as this file
      (require('../worker/early-worker.cjs') as EarlyWorkers)
    : null;
const early =
  earlyWorkers?.forkEarlyWorker(args, `${__dirname}/../worker/worker-entry.cjs`) ?? null;
const fastPath = fastPathFor(args);
const fast = fastPath?.parse(args);
if (fastPath && fast) {
  void fastPath.run(fast, early).then((code) => {
    process.exitCode = code;
  });
} else {
  earlyWorkers?.discardEarlyWorker(early);
  void import('./main.js');
}
