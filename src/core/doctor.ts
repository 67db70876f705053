/**
 * `queuectl doctor`: what is wrong with a queue's database and its files, and what to do about
 * each thing. Pure: the facts are gathered by the store (store/inspect-store.ts) and the caller.
 *
 * Severities: `problem` needs someone to act (doctor exits 1); `warning` is worth knowing but
 * queuectl works (exit 0); `ok` says what was checked.
 */
import type { FileFacts } from '../store/file-facts.js';
import type { StoreFacts } from '../store/inspect-store.js';
import { holderIsLost, workerIsGone, type IsAlive } from './liveness.js';
import { describeIntegrity } from './store-health.js';
import { formatDuration } from './units.js';

export type Severity = 'ok' | 'warning' | 'problem';

export interface Finding {
  /** What was looked at: database, schema, integrity, files, log-directory, workers, jobs. */
  check: string;
  severity: Severity;
  message: string;
  /** What to do, in one line; null when nothing needs doing. */
  fix: string | null;
}

export interface DoctorReport {
  kind: StoreFacts['kind'];
  location: string;
  /** No finding is a problem. */
  healthy: boolean;
  findings: Finding[];
}

export interface DoctorContext {
  /** This machine (as workers record it) and this user. */
  host: string;
  uid: number | null;
  isAlive: IsAlive;
  /** Where workers write job output for this database. */
  logDir: FileFacts;
}

const ok = (check: string, message: string): Finding => ({
  check,
  severity: 'ok',
  message,
  fix: null,
});
const warning = (check: string, message: string, fix: string): Finding => ({
  check,
  severity: 'warning',
  message,
  fix,
});
const problem = (check: string, message: string, fix: string): Finding => ({
  check,
  severity: 'problem',
  message,
  fix,
});

const octal = (mode: number) => mode.toString(8).padStart(3, '0');
const STOP_AND_COPY =
  'stop the workers (queuectl worker stop), copy the database with its -wal and -shm';

export function diagnose(facts: StoreFacts, context: DoctorContext): DoctorReport {
  const database = databaseFindings(facts);
  // Workers cannot clean up after others while the database itself is in trouble.
  const usable = database.every((finding) => finding.severity !== 'problem');
  const startWorker = `${usable ? '' : 'once the database is fixed, '}start a worker (queuectl worker start)`;
  const findings = [
    ...database,
    ...fileFindings(facts, context),
    ...logDirectoryFindings(context),
    ...workerFindings(facts, context, startWorker),
    ...jobFindings(facts, context, startWorker),
  ];
  return {
    kind: facts.kind,
    location: facts.location,
    healthy: findings.every((finding) => finding.severity !== 'problem'),
    findings,
  };
}

/** The database itself: there, a database, openable, a queuectl schema we know, intact. */
function databaseFindings(facts: StoreFacts): Finding[] {
  const where = facts.location;
  const file = facts.files.find((f) => f.role === 'database')?.facts;
  if (file) {
    const kind = file.target?.kind ?? file.kind;
    if (file.kind === 'missing') {
      return [
        problem(
          'database',
          `no database at ${where} yet (doctor creates none)`,
          'the first enqueue, worker start or migrate creates it; if you expected one here, check --db, QUEUECTL_DB and XDG_DATA_HOME',
        ),
      ];
    }
    if (kind === 'missing') {
      return [
        problem(
          'database',
          `${where} is a symlink to ${file.target!.path}, which does not exist`,
          'point the link at the database, or --db at the file itself',
        ),
      ];
    }
    if (kind !== 'file') {
      return [
        problem(
          'database',
          `${where} is a ${kind === 'directory' ? 'directory' : 'special file'}, not a database file`,
          `point --db or QUEUECTL_DB at a file${kind === 'directory' ? ` (e.g. ${where}/queuectl.db)` : ''}`,
        ),
      ];
    }
  }
  const findings: Finding[] = [];
  if (file?.target) {
    findings.push(ok('database', `${where} is a symlink to ${file.target.path}`));
  }
  for (const holder of facts.deletedHolders) {
    findings.push(
      problem(
        'database',
        `process ${holder.pid} still has ${holder.path} open, but that file was deleted: its writes reach no one else and are lost when it exits`,
        `stop that process (kill -TERM ${holder.pid}; workers also stop by themselves), then run doctor again`,
      ),
    );
  }
  if (facts.format === 'not-sqlite') {
    findings.push(
      problem(
        'database',
        `${where} is not a SQLite database (its first bytes are not "SQLite format 3")`,
        'point --db at the queue database; leave this file alone, queuectl will not use it',
      ),
    );
    return findings;
  }
  if (facts.format === 'empty') {
    findings.push(
      warning(
        'database',
        `${where} is an empty file: no queue yet`,
        'nothing to do: the first enqueue or worker start initialises it (or queuectl migrate)',
      ),
    );
    return findings;
  }
  if (facts.openError) {
    findings.push(problem('database', `${facts.openError.message}`, openErrorFix(facts)));
    return findings;
  }
  findings.push(...schemaFindings(facts));
  if (facts.integrity) {
    const verdict = describeIntegrity(facts.integrity);
    if (facts.integrity.result === 'ok' || facts.integrity.result === 'skipped') {
      findings.push(ok('integrity', verdict));
    } else {
      findings.push(
        problem(
          'integrity',
          verdict,
          `${STOP_AND_COPY} somewhere safe, then restore a backup or recover what is readable: sqlite3 ${where} .recover | sqlite3 recovered.db`,
        ),
      );
    }
  }
  return findings;
}

function openErrorFix(facts: StoreFacts): string {
  const code = facts.openError!.code;
  if (facts.kind === 'postgres' && !/^(SQLSTATE|XX|5)/.test(code)) {
    return 'check the URL, that the server is running and reachable, and the credentials (PGPASSWORD or ~/.pgpass)';
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return 'if workers are running, its -wal file may have been deleted under them: stop them (queuectl worker stop) and run doctor again; otherwise check the disk (dmesg)';
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) {
    return `${STOP_AND_COPY} somewhere safe, then restore a backup or recover what is readable: sqlite3 ${facts.location} .recover | sqlite3 recovered.db`;
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'EACCES'
  ) {
    return 'make the file and its directory readable and writable by the user who runs queuectl';
  }
  return 'see the message; run doctor again once it is fixed';
}

function schemaFindings(facts: StoreFacts): Finding[] {
  const found = facts.schemaVersion;
  const known = facts.knownVersion;
  if (found === null) return [];
  if (found === known) return [ok('schema', `schema version ${found}, this queuectl's`)];
  if (found > known) {
    return [
      problem(
        'schema',
        `schema version ${found} was written by a newer queuectl (this one knows ${known})`,
        'upgrade queuectl on every host that uses this database; this version will not use it',
      ),
    ];
  }
  if (found === 0 && facts.otherTables.length > 0) {
    return [
      problem(
        'schema',
        `not a queuectl database: it holds other tables (${facts.otherTables.slice(0, 5).join(', ')})`,
        'point --db at the queue database; queuectl will not use this one',
      ),
    ];
  }
  if (found === 0) {
    return [
      warning(
        'schema',
        'no queuectl schema yet',
        'nothing to do: the first enqueue or worker start creates it (or queuectl migrate)',
      ),
    ];
  }
  return [
    warning(
      'schema',
      `schema version ${found} is older than this queuectl's (${known})`,
      'it is upgraded on next use, or now with queuectl migrate',
    ),
  ];
}

/**
 * SQLite's files: owned by this user, usable, and private (files 0600). Its directory must be
 * usable and not writable by others (who could delete or replace the database); whether others
 * may list it is the user's choice (they see names only).
 */
function fileFindings(facts: StoreFacts, context: DoctorContext): Finding[] {
  const findings: Finding[] = [];
  const shown: string[] = [];
  // Not queuectl's file at all: its modes are none of doctor's business.
  if (facts.format !== 'sqlite' && facts.format !== 'empty') return findings;
  for (const { role, facts: file } of facts.files) {
    if (file.mode === null || (file.target?.kind ?? file.kind) === 'missing') continue;
    const path = file.target?.path ?? file.path;
    const isDirectory = role === 'directory';
    const wanted = isDirectory ? 0o700 : 0o600;
    if (context.uid !== null && file.uid !== context.uid) {
      findings.push(
        problem(
          'files',
          `${path} belongs to uid ${file.uid}, not to you (uid ${context.uid})`,
          `run queuectl as its owner, or chown it (chown ${context.uid} ${path})`,
        ),
      );
    } else if (!file.readable || !file.writable) {
      findings.push(
        problem(
          'files',
          `${path} is not ${file.readable ? 'writable' : 'readable'} by you (mode ${octal(file.mode)})${isDirectory ? ': SQLite creates its -wal and -shm there' : ''}`,
          `chmod ${octal(wanted)} ${path}`,
        ),
      );
    } else if (
      isDirectory ? (file.mode & 0o022) !== 0 && !file.sticky : (file.mode & 0o077) !== 0
    ) {
      findings.push(
        warning(
          'files',
          isDirectory
            ? `${path} is mode ${octal(file.mode)}: other users can delete or replace the database in it`
            : `${path} is mode ${octal(file.mode)}: other users can ${file.mode & 0o022 ? 'change' : 'read'} it (queuectl creates it 0600; job commands may hold secrets)`,
          isDirectory ? `chmod go-w ${path}` : `chmod ${octal(wanted)} ${path}`,
        ),
      );
    } else {
      shown.push(`${role} ${octal(file.mode)}`);
    }
  }
  if (shown.length > 0) findings.unshift(ok('files', `modes: ${shown.join(', ')}`));
  return findings;
}

function logDirectoryFindings({ logDir, uid }: DoctorContext): Finding[] {
  const path = logDir.path;
  const check = 'log-directory';
  switch (logDir.kind) {
    case 'missing':
      return [ok(check, `${path} does not exist yet (the first job creates it)`)];
    case 'symlink':
      return [
        problem(
          check,
          `${path} is a symlink (to ${logDir.target?.path ?? '?'}): job output would be written wherever it points`,
          `replace it with a directory of your own: rm ${path} && mkdir -m 700 ${path}`,
        ),
      ];
    case 'file':
    case 'other':
      return [
        problem(
          check,
          `${path} is not a directory: workers cannot store job output`,
          `move it away; workers create the directory`,
        ),
      ];
    case 'directory':
      break;
  }
  if (uid !== null && logDir.uid !== uid) {
    return [
      problem(
        check,
        `${path} belongs to uid ${logDir.uid}, not to you (uid ${uid})`,
        `run queuectl as its owner, or chown -R ${uid} ${path}`,
      ),
    ];
  }
  if (!logDir.writable || !logDir.readable) {
    return [
      problem(
        check,
        `${path} is not ${logDir.writable ? 'readable' : 'writable'} by you: job output cannot be stored or shown`,
        `chmod 700 ${path}`,
      ),
    ];
  }
  if (logDir.mode !== null && (logDir.mode & 0o077) !== 0) {
    return [
      warning(
        check,
        `${path} is mode ${octal(logDir.mode)}: other users can list job output files (queuectl creates it 0700)`,
        `chmod 700 ${path}`,
      ),
    ];
  }
  return [ok(check, `${path}: a private directory`)];
}

function age(facts: StoreFacts, at: number): string {
  return facts.now === null ? '?' : formatDuration(Math.max(0, facts.now - at));
}

function workerFindings(facts: StoreFacts, context: DoctorContext, startWorker: string): Finding[] {
  if (facts.readError) {
    return [
      problem(
        'workers',
        `could not read workers and running jobs: ${facts.readError.message}`,
        'see the integrity finding; the database needs repair first',
      ),
    ];
  }
  if (facts.workers === null) return [];
  const findings: Finding[] = [];
  let live = 0;
  for (const worker of facts.workers) {
    const who = `worker ${worker.id} (pid ${worker.pid} on ${worker.host})`;
    const silent = `no heartbeat for ${age(facts, worker.heartbeat_at)}`;
    if (workerIsGone(worker, context.host, context.isAlive)) {
      findings.push(
        problem(
          'workers',
          worker.host === context.host
            ? `${who} is registered but its process is gone`
            : `${who} has gone silent: ${silent}`,
          `${startWorker}: it removes such records and puts their jobs back`,
        ),
      );
    } else if (worker.stale) {
      findings.push(
        problem(
          'workers',
          `${who} is alive but stuck: ${silent}`,
          `its jobs are rerun elsewhere once their lease runs out; stop it with kill -TERM ${worker.pid} (twice: at once)`,
        ),
      );
    } else {
      live++;
    }
  }
  if (findings.length === 0) {
    findings.push(
      ok(
        'workers',
        live === 0
          ? 'no workers registered'
          : `${live} worker${live === 1 ? '' : 's'} heartbeating`,
      ),
    );
  }
  return findings;
}

function jobFindings(facts: StoreFacts, context: DoctorContext, startWorker: string): Finding[] {
  if (facts.held === null) return [];
  const lost = facts.held.filter((held) => holderIsLost(held, context.host, context.isAlive));
  if (lost.length > 0) {
    const ids = lost.slice(0, 5).map((held) => held.jobId);
    return [
      problem(
        'jobs',
        `${lost.length} job${lost.length === 1 ? ' is' : 's are'} processing for a worker that is gone: ${ids.join(', ')}${lost.length > ids.length ? ', …' : ''}`,
        `${startWorker}: it puts them back within a second`,
      ),
    ];
  }
  const n = facts.held.length;
  return [
    ok(
      'jobs',
      n === 0
        ? 'no job processing'
        : `${n} job${n === 1 ? '' : 's'} processing, each held by a live worker`,
    ),
  ];
}
