/**
 * Query plans of the SQLite store's prepared statements (src/store/sqlite/statements.ts), read
 * with EXPLAIN QUERY PLAN on a given database. A plan step that scans `jobs` or `attempts`
 * without an index is a full scan, and a temp B-tree in a statement over them is a sort of every
 * matching row (how the claim once sorted the whole backlog); the small tables (workers, config,
 * counts) are not counted.
 */
import Database from 'better-sqlite3';
import { SQL } from '../../dist/store/sqlite/statements.js';

const BIG_TABLES = /^(SCAN) (jobs|attempts|j|a)\b/;

function nullParameters(sql) {
  const named = Object.fromEntries([...sql.matchAll(/:(\w+)/g)].map((match) => [match[1], null]));
  const positional = (sql.match(/\?/g) ?? []).map(() => null);
  return Object.keys(named).length ? [named] : positional;
}

/** Every statement with its plan steps and whether any step is a full scan of a big table. */
export function queryPlans(dbPath) {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Object.entries(SQL).map(([name, sql]) => {
      const steps = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...nullParameters(sql))
        .map((row) => row.detail);
      const touchesBig = steps.some((step) => /^(SEARCH|SCAN) (jobs|attempts|j|a)\b/.test(step));
      const fullScans = steps.filter(
        (step) =>
          (BIG_TABLES.test(step) && !/INDEX|PRIMARY KEY/.test(step)) ||
          (touchesBig && /TEMP B-TREE/.test(step)),
      );
      return { name, steps, fullScans };
    });
  } finally {
    db.close();
  }
}
