/**
 * After tsc: bundles the start-up paths that must be fast into one CommonJS file each, which
 * skips Node's ES module loader and reads one file instead of dozens:
 * - dist/cli/fast-enqueue.bundle.cjs: the plain `queuectl enqueue '<json>'` (bin.cjs requires it);
 * - dist/cli/fast-worker-start.bundle.cjs: a plain `queuectl worker start` (bin.cjs requires it);
 * - dist/worker/worker-main.bundle.cjs: a worker process (the supervisor forks it), so that a
 *   `worker start` gets its first job running sooner.
 * Packages stay external (but for INLINE_PACKAGES), so better-sqlite3's JavaScript always matches
 * its installed native addon; the PostgreSQL store stays a separate ES module, imported only for a
 * PostgreSQL URL, so that a SQLite enqueue or worker never loads its driver.
 * All run from V8's code cache, where Node 20 loses `import()`'s callback: their `import("x")`
 * calls become core/cached-require's importBeside(__filename, "x").
 */
import { build } from 'rolldown';
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const POSTGRES_DIR = 'store/postgres/';
const dist = (path) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url));

const importBeside = {
  name: 'import-beside',
  renderChunk: (code) =>
    code.replace(
      /\bimport\((["'][^"']+["'])\)/g,
      'require("../core/cached-require.cjs").importBeside(__filename, $1)',
    ),
};

/**
 * Each bundle: its entry and file (in dist/), and modules kept apart (dist paths, or a directory
 * ending in /), imported at run time from where they are only when a run needs them: the
 * PostgreSQL store everywhere, and what worker start does with --detach and --stop. A CommonJS
 * bundle requires every package it keeps external up front, so a package only some runs need
 * must not be reached from a bundle, except through a module kept apart.
 */
const BUNDLES = [
  { entry: 'cli/fast-enqueue.js', out: 'cli/fast-enqueue.bundle.cjs', apart: [POSTGRES_DIR] },
  {
    entry: 'cli/fast-worker-start.js',
    out: 'cli/fast-worker-start.bundle.cjs',
    apart: [POSTGRES_DIR, 'cli/commands/worker-detach.js', 'cli/commands/worker-stop.js'],
  },
  { entry: 'worker/worker-main.js', out: 'worker/worker-main.bundle.cjs', apart: [POSTGRES_DIR] },
];

/**
 * Packages written into the bundles rather than required: get-east-asian-width is an ES module,
 * which a CommonJS bundle cannot require on every Node 20; better-sqlite3's JavaScript (its native
 * addon is loaded from where it is installed), whose ten files cost ~8 ms to resolve, read and
 * compile in every enqueue and worker (see sqliteInBundle).
 */
const INLINE_PACKAGES = ['get-east-asian-width', 'better-sqlite3'];

const SQLITE_VERSION = JSON.parse(
  readFileSync(new URL('../node_modules/better-sqlite3/package.json', import.meta.url), 'utf8'),
).version;

/**
 * open-database.js loads better-sqlite3 with require(), out of a bundle's sight. In the bundles it
 * uses the copy bundled at build time, as long as the installed package is the version bundled
 * (its JavaScript must match its native addon); otherwise the installed one, as before.
 */
const sqliteInBundle = {
  name: 'sqlite-in-bundle',
  transform(code, id) {
    if (!id.endsWith('/store/sqlite/open-database.js')) return null;
    const plain = "const BetterSqlite3 = require('better-sqlite3');";
    if (!code.includes(plain)) throw new Error(`${id} no longer loads better-sqlite3 as: ${plain}`);
    return (
      "import BundledBetterSqlite3 from 'better-sqlite3';\n" +
      code.replace(
        plain,
        `const BetterSqlite3 = require('better-sqlite3/package.json').version === ${JSON.stringify(SQLITE_VERSION)} ? BundledBetterSqlite3 : require('better-sqlite3');`,
      )
    );
  },
};

/** The dist path a module id names, when it is one of `apart`; else null. */
function apartPath(id, apart) {
  const path = id.startsWith('/') ? relative(dist(''), id) : null;
  for (const kept of apart) {
    const at = id.indexOf(`/${kept}`);
    if (at >= 0) return id.slice(at + 1);
    if (path !== null && (kept.endsWith('/') ? path.startsWith(kept) : path === kept)) return path;
  }
  return null;
}

for (const { entry, out, apart } of BUNDLES) {
  await build({
    input: dist(entry),
    platform: 'node',
    plugins: [sqliteInBundle, importBeside],
    external: (id) =>
      (!id.startsWith('.') && !id.startsWith('/') && !INLINE_PACKAGES.includes(id)) ||
      apartPath(id, apart) !== null,
    logLevel: 'warn',
    output: {
      file: dist(out),
      format: 'cjs',
      codeSplitting: false,
      paths: (id) => {
        const path = apartPath(id, apart);
        if (path === null) return id;
        const from = relative(dirname(dist(out)), dist(path));
        return from.startsWith('.') ? from : `./${from}`;
      },
    },
  });
}
