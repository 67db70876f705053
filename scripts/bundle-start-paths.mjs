/**
 * After tsc: bundles the two start-up paths that must be fast into one CommonJS file each, which
 * skips Node's ES module loader and reads one file instead of dozens:
 * - dist/cli/fast-enqueue.bundle.cjs: the plain `queuectl enqueue '<json>'` (bin.cjs requires it);
 * - dist/worker/worker-main.bundle.cjs: a worker process (the supervisor forks it), so that a
 *   `worker start` gets its first job running sooner.
 * Packages stay external, so better-sqlite3's JavaScript always matches its installed native
 * addon; the PostgreSQL store stays a separate ES module, imported only for a PostgreSQL URL, so
 * that a SQLite enqueue or worker never loads its driver.
 * The enqueue bundle runs from V8's code cache, where Node 20 loses `import()`'s callback: its
 * `import("x")` calls become cached-require's importBeside(__filename, "x").
 */
import { build } from 'rolldown';
import { fileURLToPath, URL } from 'node:url';

const POSTGRES = '/store/postgres/';
const dist = (path) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url));

const importBeside = {
  name: 'import-beside',
  renderChunk: (code) =>
    code.replace(
      /\bimport\((["'][^"']+["'])\)/g,
      'require("./cached-require.cjs").importBeside(__filename, $1)',
    ),
};

for (const [entry, out, toPostgres, plugins] of [
  ['cli/fast-enqueue.js', 'cli/fast-enqueue.bundle.cjs', '../store/postgres/', [importBeside]],
  ['worker/worker-main.js', 'worker/worker-main.bundle.cjs', '../store/postgres/', []],
]) {
  await build({
    input: dist(entry),
    platform: 'node',
    plugins,
    external: (id) => (!id.startsWith('.') && !id.startsWith('/')) || id.includes(POSTGRES),
    logLevel: 'warn',
    output: {
      file: dist(out),
      format: 'cjs',
      codeSplitting: false,
      paths: (id) => (id.includes(POSTGRES) ? `${toPostgres}${id.split(POSTGRES)[1]}` : id),
    },
  });
}
