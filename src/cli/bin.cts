#!/usr/bin/env node
/**
 * The queuectl executable. The plain `queuectl enqueue '<json>'`, the call scripts make in loops,
 * runs from one CommonJS bundle of the fast path (fast-enqueue.bundle.cjs, made by the build):
 * CommonJS skips Node's ES module loader, about 8 ms of a start-up that is mostly Node's own, and
 * V8's code cache made by the build spares compiling it (cached-require.cts), about 4 ms more.
 * Every other command line, or a checkout without the bundle, loads the full program (main.js).
 */
type FastPath = typeof import('./fast-enqueue.js');
type CachedRequire = typeof import('./cached-require.cjs');

function loadBundle(): FastPath | null {
  const bundle = `${__dirname}/fast-enqueue.bundle.cjs`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file
    const { requireWithCodeCache } = require('./cached-require.cjs') as CachedRequire;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file
    return (requireWithCodeCache(bundle) ?? require(bundle)) as FastPath;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw error;
  }
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
const bundle = args.includes('enqueue') ? loadBundle() : null;
const fast = bundle?.parseFastEnqueue(args);
if (bundle && fast) {
  bundle.exitQuietlyOnClosedPipe();
  void bundle.runFastEnqueue(fast).then((code) => {
    process.exitCode = code;
  });
} else {
  void import('./main.js');
}
