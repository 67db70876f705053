/**
 * After tsc: bundles the `queuectl enqueue '<json>'` fast path (dist/cli/fast-enqueue.js and
 * everything it imports from dist/) into one CommonJS file, dist/cli/fast-enqueue.bundle.cjs,
 * which the executable (dist/cli/bin.cjs) requires. One file instead of ~25 small modules, and no
 * ES module loader at all, save ~20 ms of start-up. Packages stay external, so better-sqlite3's
 * JavaScript always matches its installed native addon.
 */
import { build } from 'rolldown';
import { fileURLToPath, URL } from 'node:url';

const POSTGRES = '/store/postgres/';
const dist = (path) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url));

await build({
  input: dist('cli/fast-enqueue.js'),
  platform: 'node',
  // The PostgreSQL store stays a separate ES module, imported only for a PostgreSQL URL, so that
  // a SQLite enqueue never loads its driver.
  external: (id) => (!id.startsWith('.') && !id.startsWith('/')) || id.includes(POSTGRES),
  logLevel: 'warn',
  output: {
    file: dist('cli/fast-enqueue.bundle.cjs'),
    format: 'cjs',
    codeSplitting: false,
    paths: (id) => (id.includes(POSTGRES) ? `../store/postgres/${id.split(POSTGRES)[1]}` : id),
  },
});
