/** The decisions of `queuectl doctor` on given facts: what is a problem, a warning, or fine. */
import { describe, expect, it } from 'vitest';
import { diagnose, type DoctorContext, type Finding } from '../../src/core/doctor.js';
import type { FileFacts } from '../../src/store/file-facts.js';
import { blankFacts, type StoreFacts } from '../../src/store/inspect-store.js';
import type { HeldJob } from '../../src/store/job-store.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const UID = 1000;

function file(path: string, overrides: Partial<FileFacts> = {}): FileFacts {
  return {
    path,
    kind: 'file',
    mode: 0o600,
    sticky: false,
    uid: UID,
    size: 4096,
    readable: true,
    writable: true,
    ...overrides,
  };
}

function healthy(overrides: Partial<StoreFacts> = {}): StoreFacts {
  return {
    ...blankFacts('sqlite', '/data/q.db', 1),
    files: [
      { role: 'database', facts: file('/data/q.db') },
      { role: 'directory', facts: file('/data', { kind: 'directory', mode: 0o700 }) },
    ],
    format: 'sqlite',
    schemaVersion: 1,
    integrity: { check: 'quick_check', result: 'ok', problems: [], elapsedMs: 12 },
    workers: [],
    held: [],
    leaseTimeoutMs: 30_000,
    now: NOW,
    ...overrides,
  };
}

const context = (overrides: Partial<DoctorContext> = {}): DoctorContext => ({
  host: 'here',
  uid: UID,
  isAlive: () => true,
  logDir: file('/data/q.db.logs', { kind: 'directory', mode: 0o700 }),
  ...overrides,
});

const problems = (findings: Finding[]) => findings.filter((f) => f.severity === 'problem');
const warnings = (findings: Finding[]) => findings.filter((f) => f.severity === 'warning');

function held(overrides: Partial<HeldJob> = {}): HeldJob {
  return {
    jobId: 'job1',
    run: 1,
    workerId: 'w-1',
    host: 'here',
    pid: 999,
    pidStart: '1',
    jobPid: null,
    leaseExpired: false,
    attempts: 1,
    maxRetries: 3,
    cancelRequested: false,
    ...overrides,
  };
}

describe('diagnose', () => {
  it('finds nothing wrong with a healthy database', () => {
    const report = diagnose(healthy(), context());
    expect(report.healthy).toBe(true);
    expect(problems(report.findings)).toEqual([]);
    expect(warnings(report.findings)).toEqual([]);
    expect(report.findings.map((f) => f.check)).toEqual([
      'schema',
      'integrity',
      'files',
      'log-directory',
      'workers',
      'jobs',
    ]);
  });

  it('reports a database that does not exist as a problem, and nothing about its contents', () => {
    const facts = blankFacts('sqlite', '/data/q.db', 1);
    facts.files.push({
      role: 'database',
      facts: file('/data/q.db', { kind: 'missing', mode: null }),
    });
    const report = diagnose(facts, context());
    expect(report.healthy).toBe(false);
    expect(problems(report.findings)[0]!.message).toContain('no database at /data/q.db');
    expect(report.findings.some((f) => f.check === 'integrity')).toBe(false);
  });

  it.each([
    ['a directory', { kind: 'directory' as const }, 'is a directory'],
    [
      'a dangling symlink',
      { kind: 'symlink' as const, target: { path: '/x', kind: 'missing' as const } },
      'does not exist',
    ],
  ])('reports %s in place of the database', (_name, overrides, text) => {
    const facts = blankFacts('sqlite', '/data/q.db', 1);
    facts.files.push({ role: 'database', facts: file('/data/q.db', overrides) });
    expect(problems(diagnose(facts, context()).findings)[0]!.message).toContain(text);
  });

  it('reports a file that is not SQLite, and leaves its modes alone', () => {
    const report = diagnose(
      healthy({
        format: 'not-sqlite',
        schemaVersion: null,
        integrity: null,
        workers: null,
        held: null,
      }),
      context(),
    );
    expect(problems(report.findings).map((f) => f.message)).toEqual([
      '/data/q.db is not a SQLite database (its first bytes are not "SQLite format 3")',
    ]);
    expect(report.findings.some((f) => f.check === 'files')).toBe(false);
  });

  it('only warns about an empty file: it is initialised on first use', () => {
    const report = diagnose(
      healthy({ format: 'empty', schemaVersion: 0, integrity: null }),
      context(),
    );
    expect(report.healthy).toBe(true);
    expect(warnings(report.findings)[0]!.message).toContain('empty file');
  });

  it('reports a newer schema as a problem and an older one as a warning', () => {
    const newer = diagnose(healthy({ schemaVersion: 7 }), context());
    expect(problems(newer.findings)[0]!.message).toContain('newer queuectl');
    const older = diagnose(healthy({ schemaVersion: 1, knownVersion: 2 }), context());
    expect(older.healthy).toBe(true);
    expect(warnings(older.findings)[0]!.fix).toContain('queuectl migrate');
  });

  it('reports another application’s database', () => {
    const report = diagnose(healthy({ schemaVersion: 0, otherTables: ['users'] }), context());
    expect(problems(report.findings)[0]!.message).toContain('not a queuectl database');
  });

  it('reports integrity problems and what to do', () => {
    const report = diagnose(
      healthy({
        integrity: {
          check: 'quick_check',
          result: 'problems',
          problems: ['Tree 4 page 4: btreeInitPage() returns error code 11', 'Page 26: never used'],
          elapsedMs: 5,
        },
      }),
      context(),
    );
    const [found] = problems(report.findings);
    expect(found!.check).toBe('integrity');
    expect(found!.message).toContain('Tree 4 page 4');
    expect(found!.fix).toContain('queuectl worker stop');
  });

  it('reports a database it could not open, with the driver code', () => {
    const report = diagnose(
      healthy({
        schemaVersion: null,
        integrity: null,
        openError: {
          code: 'SQLITE_IOERR_SHORT_READ',
          message: 'the database /data/q.db could not be read',
        },
      }),
      context(),
    );
    expect(problems(report.findings)[0]!.fix).toContain('-wal file may have been deleted');
  });

  it('reports processes that write to a deleted database or -wal', () => {
    const report = diagnose(
      healthy({ deletedHolders: [{ pid: 77, path: '/data/q.db-wal' }] }),
      context(),
    );
    expect(problems(report.findings)[0]!.message).toContain(
      'process 77 still has /data/q.db-wal open',
    );
  });

  it('warns about files others can read, and reports files it cannot write or does not own', () => {
    const facts = healthy();
    facts.files.push({ role: 'wal', facts: file('/data/q.db-wal', { mode: 0o644 }) });
    facts.files.push({ role: 'shm', facts: file('/data/q.db-shm', { uid: 0 }) });
    facts.files[0] = {
      role: 'database',
      facts: file('/data/q.db', { writable: false, mode: 0o400 }),
    };
    const report = diagnose(facts, context());
    expect(warnings(report.findings).map((f) => f.fix)).toEqual(['chmod 600 /data/q.db-wal']);
    expect(problems(report.findings).map((f) => f.message)).toEqual([
      '/data/q.db is not writable by you (mode 400)',
      '/data/q.db-shm belongs to uid 0, not to you (uid 1000)',
    ]);
  });

  it('warns about a directory others can write to, but not about one they can only list', () => {
    const listable = healthy();
    listable.files[1] = {
      role: 'directory',
      facts: file('/data', { kind: 'directory', mode: 0o755 }),
    };
    expect(warnings(diagnose(listable, context()).findings)).toEqual([]);
    const writable = healthy();
    writable.files[1] = {
      role: 'directory',
      facts: file('/data', { kind: 'directory', mode: 0o777 }),
    };
    expect(warnings(diagnose(writable, context()).findings)[0]!.fix).toBe('chmod go-w /data');
    const sticky = healthy();
    sticky.files[1] = {
      role: 'directory',
      facts: file('/tmp', { kind: 'directory', mode: 0o777, sticky: true }),
    };
    expect(warnings(diagnose(sticky, context()).findings)).toEqual([]);
  });

  it.each([
    [
      'a symlink',
      { kind: 'symlink' as const, target: { path: '/elsewhere', kind: 'directory' as const } },
      'problem',
    ],
    ['a file', { kind: 'file' as const }, 'problem'],
    ['not writable', { kind: 'directory' as const, writable: false }, 'problem'],
    ['mode 755', { kind: 'directory' as const, mode: 0o755 }, 'warning'],
    ['missing', { kind: 'missing' as const, mode: null }, 'ok'],
  ])('judges a log directory that is %s', (_name, overrides, severity) => {
    const logDir = file('/data/q.db.logs', { mode: 0o700, ...overrides });
    const finding = diagnose(healthy(), context({ logDir })).findings.find(
      (f) => f.check === 'log-directory',
    );
    expect(finding!.severity).toBe(severity);
  });

  it('reports workers that are gone or stuck, and jobs held by workers that are gone', () => {
    const worker = (id: string, host: string, stale: boolean) => ({
      id,
      host,
      pid: id === 'dead' ? 111 : 222,
      pid_start: '1',
      started_at: NOW - 600_000,
      heartbeat_at: stale ? NOW - 300_000 : NOW - 1000,
      current_job: null,
      stop_requested: false,
      stale,
    });
    const report = diagnose(
      healthy({
        workers: [
          worker('dead', 'here', false),
          worker('stuck', 'here', true),
          worker('far', 'there', true),
          worker('fine', 'there', false),
        ],
        held: [
          held({ jobId: 'lost', pid: 111 }),
          held({ jobId: 'expired', host: 'there', leaseExpired: true }),
          held({ jobId: 'running', pid: 222 }),
        ],
      }),
      context({ isAlive: (pid) => pid !== 111 }),
    );
    const messages = problems(report.findings).map((f) => f.message);
    expect(messages).toEqual([
      'worker dead (pid 111 on here) is registered but its process is gone',
      'worker stuck (pid 222 on here) is alive but stuck: no heartbeat for 5m',
      'worker far (pid 222 on there) has gone silent: no heartbeat for 5m',
      '2 jobs are processing for a worker that is gone: lost, expired',
    ]);
  });

  it('keeps the integrity verdict when workers and jobs cannot be read', () => {
    const report = diagnose(
      healthy({
        integrity: { check: 'quick_check', result: 'problems', problems: ['x'], elapsedMs: 1 },
        workers: null,
        held: null,
        readError: { code: 'SQLITE_CORRUPT', message: 'the database /data/q.db is corrupt' },
      }),
      context(),
    );
    expect(problems(report.findings).map((f) => f.check)).toEqual(['integrity', 'workers']);
  });

  it('says to fix the database before starting a worker to clean up', () => {
    const report = diagnose(
      healthy({
        integrity: { check: 'quick_check', result: 'problems', problems: ['x'], elapsedMs: 1 },
        held: [held({ leaseExpired: true })],
      }),
      context(),
    );
    const jobs = report.findings.find((f) => f.check === 'jobs')!;
    expect(jobs.fix).toMatch(/^once the database is fixed, start a worker/);
  });

  it('skips the integrity check on PostgreSQL without calling it a problem', () => {
    const facts = healthy({
      kind: 'postgres',
      files: [],
      format: null,
      integrity: { check: 'none', result: 'skipped', problems: [], elapsedMs: 0 },
    });
    const report = diagnose(facts, context());
    expect(report.healthy).toBe(true);
    expect(report.findings.find((f) => f.check === 'integrity')!.message).toContain('not checked');
  });
});
