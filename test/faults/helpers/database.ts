/** Reads a queuectl SQLite file from the test, as an outside observer (read-only). */
import Database from 'better-sqlite3';

export function openReadOnly(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 60000');
  return db;
}

/** Runs `read` on a fresh read-only connection and closes it. */
export function readDb<T>(path: string, read: (db: Database.Database) => T): T {
  const db = openReadOnly(path);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Every row of every table (schema included), in a stable order: a content fingerprint. */
export function dumpDatabase(path: string): string {
  return readDb(path, (db) => {
    const tables = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all() as { name: string; sql: string }[];
    const parts: string[] = [JSON.stringify(db.pragma('user_version', { simple: true }))];
    for (const table of tables) {
      const rows = db
        .prepare(`SELECT * FROM "${table.name}"`)
        .all()
        .map((row) => JSON.stringify(row))
        .sort();
      parts.push(`${table.sql}\n${rows.join('\n')}`);
    }
    return parts.join('\n\n');
  });
}

export interface AttemptRow {
  job_id: string;
  attempt: number;
  worker_id: string;
  pid: number;
  job_pid: number | null;
  started_at: number;
  finished_at: number | null;
  outcome: string | null;
}

export function allAttempts(path: string): Map<string, AttemptRow[]> {
  return readDb(path, (db) => {
    const byJob = new Map<string, AttemptRow[]>();
    const rows = db
      .prepare('SELECT * FROM attempts ORDER BY job_id, attempt')
      .all() as AttemptRow[];
    for (const row of rows) {
      const list = byJob.get(row.job_id) ?? [];
      list.push(row);
      byJob.set(row.job_id, list);
    }
    return byJob;
  });
}

export function stateCounts(path: string): Record<string, number> {
  return readDb(path, (db) => {
    const rows = db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as {
      state: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((row) => [row.state, row.n]));
  });
}
