/**
 * Which store errors mean a broken database (StoreBrokenError) and which stay as they are, so
 * that workers retry them: the classifiers, the wrapper every opened store carries, and real
 * faults on a SQLite file (not a database, a corrupted page, its -wal or itself deleted while
 * open) and on PostgreSQL (a terminated connection stays transient).
 */
import { closeSync, openSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreBrokenError } from '../../src/core/errors.js';
import { withBrokenErrors } from '../../src/store/broken-store.js';
import type { JobStore } from '../../src/store/job-store.js';
import { openStore } from '../../src/store/open-store.js';
import { postgresClassifier } from '../../src/store/postgres/postgres-errors.js';
import { sqliteClassifier } from '../../src/store/sqlite/sqlite-errors.js';
import { newJob } from '../helpers/job-factory.js';
import { adminQuery, describePg, TEST_PG } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

const coded = (code: string, message = 'driver says no') =>
  Object.assign(new Error(message), { code });

describe('SQLite error classification', () => {
  const classify = sqliteClassifier('/data/q.db');

  it.each([
    ['SQLITE_CORRUPT', 'is corrupt'],
    ['SQLITE_CORRUPT_INDEX', 'is corrupt'],
    ['SQLITE_NOTADB', 'is not a SQLite database'],
    ['SQLITE_IOERR', 'could not be read or written'],
    ['SQLITE_IOERR_SHORT_READ', 'could not be read or written'],
    ['SQLITE_CANTOPEN', 'cannot be opened'],
    ['SQLITE_READONLY', 'is read-only'],
    ['SQLITE_READONLY_DBMOVED', 'was deleted or replaced while in use'],
    ['SQLITE_FULL', 'cannot grow: the disk is full'],
  ])('%s means a broken database', (code, problem) => {
    const error = classify(coded(code, 'database disk image is malformed'));
    expect(error).toBeInstanceOf(StoreBrokenError);
    expect(error).toMatchObject({ location: '/data/q.db', code });
    expect(error!.message).toBe(
      `the database /data/q.db ${error!.problem} (${code}: database disk image is malformed)`,
    );
    expect(error!.problem).toContain(problem);
  });

  it.each([
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_LOCKED',
    'SQLITE_CONSTRAINT_UNIQUE',
    'SQLITE_ERROR',
    'SQLITE_IOERR_NOMEM',
    'SQLITE_INTERRUPT',
  ])('%s is not about the file: left as it is', (code) => {
    expect(classify(coded(code))).toBeNull();
  });

  it('leaves errors without a SQLite code alone', () => {
    expect(classify(new Error('boom'))).toBeNull();
    expect(classify(coded('ENOENT'))).toBeNull();
    expect(classify(null)).toBeNull();
  });
});

describe('PostgreSQL error classification', () => {
  const classify = postgresClassifier('postgres://app@db:5432/app');

  it.each(['XX000', 'XX001', 'XX002', '53100', '58030', '58P01', '58P02'])(
    'SQLSTATE %s means a broken database',
    (code) => {
      const error = classify(coded(code));
      expect(error).toBeInstanceOf(StoreBrokenError);
      expect(error!.code).toBe(`SQLSTATE ${code}`);
      expect(error!.location).toBe('postgres://app@db:5432/app');
    },
  );

  it.each([
    '57P01', // admin_shutdown: pg_terminate_backend, a restart
    '57P02',
    '57P03', // the server is starting up
    '08006', // connection failure
    '08001',
    '53300', // too many connections
    '40001', // serialization failure
    '23505', // unique violation
    'ECONNREFUSED',
    'ECONNRESET',
  ])('%s is transient or a plain error: left as it is', (code) => {
    expect(classify(coded(code))).toBeNull();
  });

  it('leaves "Connection terminated unexpectedly" (no code) alone', () => {
    expect(classify(new Error('Connection terminated unexpectedly'))).toBeNull();
  });
});

describe('withBrokenErrors', () => {
  const broken = () => coded('SQLITE_CORRUPT', 'malformed');
  const target = {
    value: 42,
    async rejects(): Promise<void> {
      throw broken();
    },
    throws(): void {
      throw broken();
    },
    async other(): Promise<void> {
      throw coded('SQLITE_BUSY');
    },
    self(): unknown {
      return this;
    },
    subscribe(): () => string {
      return () => 'unsubscribed';
    },
  };
  const wrapped = withBrokenErrors(target, sqliteClassifier('/q.db'));

  it('turns rejected and thrown driver errors into StoreBrokenError', async () => {
    await expect(wrapped.rejects()).rejects.toBeInstanceOf(StoreBrokenError);
    expect(() => wrapped.throws()).toThrow(StoreBrokenError);
  });

  it('passes other errors, values, return values and `this` through unchanged', async () => {
    await expect(wrapped.other()).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(wrapped.value).toBe(42);
    expect(wrapped.self()).toBe(target);
    expect(wrapped.subscribe()()).toBe('unsubscribed');
  });
});

describe('a real SQLite file', () => {
  const stores: JobStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => {});
  });
  const open = async (db: string) => {
    const store = await openStore({ db, durable: false });
    stores.push(store);
    return store;
  };
  const worker = { id: 'w-1', host: 'h', pid: process.pid, pidStart: null };
  const claim = (store: JobStore) => store.jobClaim({ workerId: 'w-1', leaseMs: 30_000 });

  it('that is not a database fails to open with StoreBrokenError (SQLITE_NOTADB), unchanged', async () => {
    const db = join(tempDir(), 'text.db');
    const text = 'this is a text file, not a database; it must stay exactly as it is\n'.repeat(10);
    writeFileSync(db, text);
    await expect(openStore({ db })).rejects.toMatchObject({
      name: 'StoreBrokenError',
      code: 'SQLITE_NOTADB',
      location: db,
    });
    expect((await import('node:fs')).readFileSync(db, 'utf8')).toBe(text);
  });

  it('with a corrupted index page makes the claim fail with StoreBrokenError (SQLITE_CORRUPT)', async () => {
    const db = join(tempDir(), 'q.db');
    const setup = await open(db);
    await setup.jobInsertMany([
      Array.from({ length: 500 }, (_, i) => newJob({ id: `j${i}`, command: 'true' })),
    ]);
    await setup.close();
    const raw = new Database(db);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    const root = raw
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 'jobs_ready'")
      .pluck()
      .get() as number;
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    raw.close();
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xde), 0, 64, (root - 1) * pageSize);
    closeSync(fd);

    const store = await open(db);
    await store.workerRegister(worker);
    await expect(claim(store)).rejects.toMatchObject({
      name: 'StoreBrokenError',
      code: 'SQLITE_CORRUPT',
    });
  });

  it('whose -wal is deleted while open makes the next write fail with WAL_DELETED', async () => {
    const db = join(tempDir(), 'q.db');
    const store = await open(db);
    await store.workerRegister(worker);
    await store.jobInsertMany([[newJob({ id: 'a', command: 'true' })]]);
    expect(await claim(store)).not.toBeNull();
    rmSync(`${db}-wal`);
    await expect(claim(store)).rejects.toMatchObject({
      name: 'StoreBrokenError',
      code: 'WAL_DELETED',
    });
    await expect(
      store.workerHeartbeat({ workerId: 'w-1', lease: null, leaseMs: 30_000, jobPid: null }),
    ).rejects.toBeInstanceOf(StoreBrokenError);
  });

  it('reached through a symlink notices its -wal (beside the real file) deleted', async () => {
    const dir = tempDir();
    const real = join(dir, 'real.db');
    (await open(real)).close();
    symlinkSync(real, join(dir, 'link.db'));
    const store = await open(join(dir, 'link.db'));
    await store.workerRegister(worker);
    rmSync(`${real}-wal`);
    await expect(claim(store)).rejects.toMatchObject({ code: 'WAL_DELETED' });
  });

  it('that is deleted while open makes the next write fail with DB_DELETED', async () => {
    const db = join(tempDir(), 'q.db');
    const store = await open(db);
    await store.workerRegister(worker);
    rmSync(db);
    await expect(claim(store)).rejects.toMatchObject({
      name: 'StoreBrokenError',
      code: 'DB_DELETED',
    });
  });

  it('keeps SQLITE_BUSY (another writer holds the lock) as it is', async () => {
    const db = join(tempDir(), 'q.db');
    const store = await open(db);
    await store.workerRegister(worker);
    const other = new Database(db);
    other.exec('BEGIN IMMEDIATE');
    // A short busy timeout on the store's own connection, so that the test does not wait 60 s.
    const connection = (store as unknown as { db: Database.Database }).db;
    connection.pragma('busy_timeout = 50');
    try {
      const error = await claim(store).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(error).not.toBeInstanceOf(StoreBrokenError);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});

describePg('real PostgreSQL errors', () => {
  const classify = postgresClassifier('postgres://test');

  async function failure(run: (client: pg.Client) => Promise<unknown>): Promise<unknown> {
    const client = new pg.Client({ connectionString: TEST_PG });
    client.on('error', () => {});
    await client.connect();
    try {
      await run(client);
      return null;
    } catch (error) {
      return error;
    } finally {
      await client.end().catch(() => {});
    }
  }

  it('a connection terminated by the server stays a plain (transient) error', async () => {
    const error = await failure(async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await adminQuery('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await client.query('SELECT 1');
    });
    expect(error).not.toBeNull();
    expect(classify(error)).toBeNull();
  });

  it('data corruption (SQLSTATE XX001) and disk full (53100) from the server are broken', async () => {
    for (const sqlstate of ['XX001', '53100']) {
      const error = await failure((client) =>
        client.query(
          `DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '${sqlstate}'; END $$`,
        ),
      );
      expect(classify(error)).toMatchObject({ code: `SQLSTATE ${sqlstate}` });
    }
  });
});
