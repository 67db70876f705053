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

/**
 * Whether a plan row lies inside a scalar or list subquery: one value per outer row (a count of a
 * worker's jobs, say), so a sort of the outer rows does not sort the big table's rows.
 */
function inValueSubquery(row, byId) {
  for (let parent = byId.get(row.parent); parent; parent = byId.get(parent.parent)) {
    if (/SCALAR SUBQUERY|LIST SUBQUERY/.test(parent.detail)) return true;
  }
  return false;
}

/** Every statement with its plan steps and whether any step is a full scan of a big table. */
export function queryPlans(dbPath) {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Object.entries(SQL).map(([name, sql]) => {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...nullParameters(sql));
      const byId = new Map(rows.map((row) => [row.id, row]));
      const steps = rows.map((row) => row.detail);
      // A temp B-tree sorts the rows of the query it belongs to: a sort of every matching row
      // when those come from a big table, not when the big table only answers a subquery's value,
      // nor when each of its rows is one looked up by rowid for a row of a small table (the
      // claim sorts each queue's head, one per queue).
      const sortsBig = rows.some(
        (row) =>
          /^(SEARCH|SCAN) (jobs|attempts|j|a)\b/.test(row.detail) &&
          !/USING INTEGER PRIMARY KEY \(rowid=\?\)$/.test(row.detail) &&
          !inValueSubquery(row, byId),
      );
      const fullScans = steps.filter(
        (step) =>
          (BIG_TABLES.test(step) && !/INDEX|PRIMARY KEY/.test(step)) ||
          (sortsBig && /TEMP B-TREE/.test(step)),
      );
      return { name, steps, fullScans };
    });
  } finally {
    db.close();
  }
}
