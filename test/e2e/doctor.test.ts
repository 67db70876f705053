/**
 * `queuectl doctor` through the built CLI: a healthy database, every way a --db can be wrong
 * (missing, a directory, not SQLite, empty, a newer schema, corrupt), loose modes, a symlinked log
 * directory, and a worker killed with its job; and `worker start` on the same wrong files, which
 * fails at once with one line instead of restarting workers. Doctor never creates or changes files.
 */
import Database from 'better-sqlite3';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/core/doctor.js';
import { SCHEMA_VERSION } from '../../src/store/sqlite/open-database.js';
import { sandbox, type Sandbox } from '../helpers/cli-sandbox.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';

async function doctor(s: Sandbox, db = s.db, extra: string[] = []) {
  const result = await s.run(['--db', db, 'doctor', '--json', ...extra]);
  return { ...result, report: JSON.parse(result.stdout) as DoctorReport };
}

const problems = (report: DoctorReport) =>
  report.findings.filter((f) => f.severity === 'problem').map((f) => `${f.check}: ${f.message}`);
const warnings = (report: DoctorReport) =>
  report.findings.filter((f) => f.severity === 'warning').map((f) => `${f.check}: ${f.message}`);

/** Runs `fn` and returns whether the directory's entries changed. */
async function entriesAfter(dir: string, fn: () => Promise<unknown>): Promise<string[]> {
  const before = readdirSync(dir).sort();
  await fn();
  const after = readdirSync(dir).sort();
  return after.filter((name) => !before.includes(name));
}

describe('queuectl doctor', () => {
  it('finds nothing wrong with a fresh queue, exits 0 and leaves no file behind', async () => {
    const s = sandbox();
    expect((await s.run(['enqueue', '{"id":"a","command":"true"}'])).code).toBe(0);
    chmodSync(s.home, 0o700);
    let result!: Awaited<ReturnType<typeof doctor>>;
    const created = await entriesAfter(s.home, async () => (result = await doctor(s)));
    expect(result.code, result.stderr).toBe(0);
    expect(result.report.healthy).toBe(true);
    expect(problems(result.report)).toEqual([]);
    expect(warnings(result.report)).toEqual([]);
    expect(result.report.findings.map((f) => f.check)).toEqual([
      'schema',
      'integrity',
      'files',
      'log-directory',
      'workers',
      'jobs',
    ]);
    expect(created).toEqual([]); // no -wal or -shm left behind

    const human = await s.run(['doctor']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`database: ${s.db} (SQLite)`);
    expect(human.stdout).toMatch(/ok\s+integrity\s+PRAGMA quick_check: ok/);
    expect(human.stdout.trimEnd().endsWith('all is well')).toBe(true);
  });

  it('reports a database that does not exist, exits 1 and creates nothing', async () => {
    const s = sandbox();
    const missing = join(s.home, 'nothing-here', 'q.db');
    let result!: Awaited<ReturnType<typeof doctor>>;
    const created = await entriesAfter(s.home, async () => (result = await doctor(s, missing)));
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('queuectl: doctor found 1 problem\n');
    expect(problems(result.report)).toEqual([
      `database: no database at ${missing} yet (doctor creates none)`,
    ]);
    expect(created).toEqual([]);
  });

  it.each([
    ['a directory', (path: string) => mkdirSync(path), /is a directory, not a database file/],
    [
      'a text file',
      (path: string) => writeFileSync(path, 'not a database at all\n'.repeat(20)),
      /is not a SQLite database/,
    ],
  ])(
    'reports %s in place of the database, and worker start refuses it at once',
    async (_n, make, text) => {
      const s = sandbox();
      const path = join(s.home, 'weird.db');
      make(path);
      const before = readdirSync(s.home).sort();
      const result = await doctor(s, path);
      expect(result.code).toBe(1);
      expect(problems(result.report)[0]).toMatch(text);

      const start = await s.run(['--db', path, 'worker', 'start', '--count', '2']);
      expect(start.code).not.toBe(0);
      expect(start.stderr).toMatch(text);
      expect(start.stderr.trimEnd().split('\n')).toHaveLength(1); // no workers started and restarted
      expect(readdirSync(s.home).sort()).toEqual(before);
    },
  );

  it('only warns about an empty file, which worker start then initialises', async () => {
    const s = sandbox();
    writeFileSync(s.db, '', { mode: 0o600 });
    const result = await doctor(s);
    expect(result.code).toBe(0);
    expect(warnings(result.report)).toEqual([`database: ${s.db} is an empty file: no queue yet`]);
    const start = await s.run(['worker', 'start', '--drain']);
    expect(start.code, start.stderr).toBe(0);
    expect((await doctor(s)).report.healthy).toBe(true);
  });

  it('reports a database of a newer schema, which worker start refuses with one line', async () => {
    const s = sandbox();
    expect((await s.run(['enqueue', '{"command":"true"}'])).code).toBe(0);
    const raw = new Database(s.db);
    raw.pragma('user_version = 99');
    raw.close();
    const result = await doctor(s);
    expect(result.code).toBe(1);
    expect(problems(result.report)).toEqual([
      `schema: schema version 99 was written by a newer queuectl (this one knows ${SCHEMA_VERSION})`,
    ]);
    const start = await s.run(['worker', 'start', '--count', '2']);
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(
      /^queuectl: the database was written by a newer queuectl \(schema 99/,
    );
    expect(start.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('reports a corrupted page with PRAGMA quick_check (integrity_check with --full)', async () => {
    const s = sandbox();
    const jobs = Array.from({ length: 300 }, (_, i) => ({ id: `j${i}`, command: 'true' }));
    expect((await s.run(['enqueue', JSON.stringify(jobs)])).code).toBe(0);
    const raw = new Database(s.db);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    const root = raw
      .prepare("SELECT rootpage FROM sqlite_master WHERE name = 'jobs_ready'")
      .pluck()
      .get() as number;
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    raw.close();
    const fd = openSync(s.db, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xde), 0, 64, (root - 1) * pageSize);
    closeSync(fd);

    for (const extra of [[], ['--full']]) {
      const result = await doctor(s, s.db, extra);
      expect(result.code).toBe(1);
      const [integrity] = result.report.findings.filter((f) => f.check === 'integrity');
      expect(integrity!.severity).toBe('problem');
      // quick_check lists the broken page; integrity_check stops at it.
      expect(integrity!.message).toMatch(
        extra.length
          ? /^PRAGMA integrity_check found problems: "SQLITE_CORRUPT: database disk image is malformed"/
          : new RegExp(`^PRAGMA quick_check found problems: "Tree ${root} page ${root}: `),
      );
      expect(integrity!.fix).toContain('queuectl worker stop');
    }
    // Any other command says what is wrong in one line and points at doctor.
    const start = await s.run(['worker', 'start', '--drain', '--quiet']);
    expect(start.code).toBe(1);
    expect(start.stderr).not.toContain('replacement');
    expect(start.stderr.trimEnd().split('\n').pop()).toMatch(
      new RegExp(
        `^queuectl: the database ${s.db} is corrupt \\(SQLITE_CORRUPT: .*\\); PRAGMA quick_check found problems: .*; workers stopped \\(run queuectl doctor\\)$`,
      ),
    );
  });

  it('warns about files others can read and reports a symlinked log directory', async () => {
    const s = sandbox();
    expect((await s.run(['enqueue', '{"command":"true"}'])).code).toBe(0);
    chmodSync(s.db, 0o644);
    mkdirSync(join(s.home, 'elsewhere'));
    symlinkSync(join(s.home, 'elsewhere'), `${s.db}.logs`);
    const result = await doctor(s);
    expect(result.code).toBe(1);
    expect(warnings(result.report)).toEqual([
      `files: ${s.db} is mode 644: other users can read it (queuectl creates it 0600; job commands may hold secrets)`,
    ]);
    expect(result.report.findings.find((f) => f.fix === `chmod 600 ${s.db}`)).toBeTruthy();
    expect(problems(result.report)).toEqual([
      `log-directory: ${s.db}.logs is a symlink (to ${join(s.home, 'elsewhere')}): job output would be written wherever it points`,
    ]);
  });

  it('reports a worker killed with its job, and is satisfied once a worker cleaned up', async () => {
    const s = sandbox();
    const spec = { id: 'long', command: 'sleep 60', max_retries: 0 };
    expect((await s.run(['enqueue', JSON.stringify(spec)])).code).toBe(0);
    const supervisor = s.start(['worker', 'start']);
    const status = await waitFor(
      async () => {
        const st = await s.json<{ workers: { pid: number; current_job: string | null }[] }>([
          'status',
        ]);
        return st.workers.find((w) => w.current_job === 'long');
      },
      { what: 'the job to run' },
    );
    process.kill(supervisor.pid!, 'SIGKILL');
    process.kill(status.pid, 'SIGKILL');
    await waitFor(() => {
      try {
        process.kill(status.pid, 0);
        return false;
      } catch {
        return true;
      }
    });

    const result = await doctor(s);
    expect(result.code).toBe(1);
    expect(problems(result.report)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^workers: worker w-\\w+ \\(pid ${status.pid} on .+\\) is registered but its process is gone$`,
        ),
      ),
      'jobs: 1 job is processing for a worker that is gone: long',
    ]);

    // What doctor says to do: a worker puts the job back (dead: no retries left) and kills `sleep`.
    const drain = await s.run(['worker', 'start', '--drain', '--quiet']);
    expect(drain.code, drain.stderr).toBe(0);
    const after = await doctor(s);
    expect(problems(after.report)).toEqual([]);
    expect((await s.json<{ job: { state: string } }>(['show', 'long'])).job.state).toBe('dead');
  });

  it('worker stop says what is wrong when the database cannot be used, instead of a bare driver error', async () => {
    const s = sandbox();
    writeFileSync(s.db, 'not a database at all\n'.repeat(20));
    const result = await s.run(['worker', 'stop', '--timeout', '1s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `queuectl: the database ${s.db} is not a SQLite database (SQLITE_NOTADB: file is not a database); no worker on this host has it open; run queuectl doctor\n`,
    );
    expect(readFileSync(s.db, 'utf8')).toBe('not a database at all\n'.repeat(20));
  });
});

describePg('queuectl doctor on PostgreSQL', () => {
  it('checks connectivity, the schema and workers, skips integrity, and never shows a password', async () => {
    const s = sandbox();
    const url = freshPgUrl();
    const fresh = await doctor(s, url);
    expect(fresh.code).toBe(0);
    expect(warnings(fresh.report)).toEqual(['schema: no queuectl schema yet']);
    expect((await s.run(['--db', url, 'enqueue', '{"command":"true"}'])).code).toBe(0);
    const ready = await doctor(s, url);
    expect(ready.code).toBe(0);
    expect(ready.report.findings.find((f) => f.check === 'integrity')!.message).toContain(
      'not checked',
    );

    const unreachable = new URL(url);
    unreachable.port = '1';
    unreachable.password = 'sekrit-pw';
    const down = await runCli({ home: s.home }, ['--db', unreachable.toString(), 'doctor']);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/PROBLEM\s+database\s+.*ECONNREFUSED/);
    expect(down.stdout + down.stderr).not.toContain('sekrit-pw');
  });
});
