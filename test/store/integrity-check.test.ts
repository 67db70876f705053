/** The integrity check on a fresh connection in a child process: verdicts, its time bound, no files left. */
import Database from 'better-sqlite3';
import { closeSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIntegrity } from '../../src/store/integrity.js';
import { tempDir } from '../helpers/temp-dir.js';

function database(rows = 2000): string {
  const dir = tempDir();
  const path = join(dir, 'q.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`value ${i} `.repeat(5));
  })();
  db.close(); // the last connection removes the -wal and -shm
  return path;
}

describe('checkIntegrity (SQLite)', () => {
  it('says ok, and leaves no -wal or -shm behind', async () => {
    const path = database();
    const before = readdirSync(join(path, '..'));
    const verdict = await checkIntegrity(path);
    expect(verdict).toMatchObject({ check: 'quick_check', result: 'ok', problems: [] });
    expect(readdirSync(join(path, '..'))).toEqual(before);
  });

  it('lists problems on a corrupted page (quick_check), or the error integrity_check stops at', async () => {
    const path = database();
    const db = new Database(path);
    const root = db
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 't_v'")
      .pluck()
      .get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(32, 0xde), 0, 32, (root - 1) * pageSize);
    closeSync(fd);
    const quick = await checkIntegrity(path, { maxProblems: 3 });
    expect(quick.result).toBe('problems');
    expect(quick.problems.length).toBeLessThanOrEqual(3);
    expect(quick.problems[0]).toMatch(new RegExp(`page ${root}`));
    const full = await checkIntegrity(path, { full: true });
    expect(full).toMatchObject({ check: 'integrity_check', result: 'problems' });
  });

  it('calls a file it cannot open unreadable', async () => {
    const path = join(tempDir(), 'text.db');
    writeFileSync(path, 'not a database\n'.repeat(50));
    const verdict = await checkIntegrity(path);
    expect(verdict.result).toBe('unreadable');
    expect(verdict.problems[0]).toMatch(/^SQLITE_NOTADB/);
  });

  it('gives up when its time runs out', async () => {
    const verdict = await checkIntegrity(database(), { timeoutMs: 1 });
    expect(verdict.result).toBe('timeout');
  });

  it('skips PostgreSQL', async () => {
    expect(await checkIntegrity('postgres://x@localhost/db')).toMatchObject({ result: 'skipped' });
  });
});
