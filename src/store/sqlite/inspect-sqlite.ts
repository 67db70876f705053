/** `queuectl doctor` on a SQLite file: what is there, read without creating or changing anything. */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { systemClock } from '../../core/clock.js';
import { resolveSettings } from '../../core/config.js';
import { fileFacts } from '../file-facts.js';
import { processesWithOpenFile } from '../open-files.js';
import {
  blankFacts,
  describeFailure,
  type InspectOptions,
  type StoreFacts,
} from '../inspect-store.js';
import { checkSqliteIntegrity } from './integrity-check.js';
import { openForInspection, SCHEMA_VERSION } from './open-database.js';
import { sqliteClassifier } from './sqlite-errors.js';
import { openSqliteStore } from './sqlite-job-store.js';

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** The database header: the magic string, and `PRAGMA user_version` at offset 60. */
const HEADER_BYTES = 100;

function readHeader(path: string): { format: StoreFacts['format']; userVersion: number | null } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    const read = readSync(fd, head, 0, head.length, 0);
    if (read === 0) return { format: 'empty', userVersion: 0 };
    if (read < HEADER_BYTES || !head.subarray(0, MAGIC.length).equals(MAGIC)) {
      return { format: 'not-sqlite', userVersion: null };
    }
    return { format: 'sqlite', userVersion: head.readUInt32BE(60) };
  } finally {
    closeSync(fd);
  }
}

export async function inspectSqlite(path: string, options: InspectOptions): Promise<StoreFacts> {
  const facts = blankFacts('sqlite', path, SCHEMA_VERSION);
  const database = fileFacts(path);
  // SQLite follows a symlink and keeps the -wal and -shm beside the file it points to.
  const real = database.target?.path ?? path;
  facts.files.push({ role: 'database', facts: database });
  facts.files.push({ role: 'directory', facts: fileFacts(dirname(real)) });
  // The sign of a database or -wal deleted under running workers.
  facts.deletedHolders = processesWithOpenFile([real, `${real}-wal`])
    .filter((open) => open.deleted)
    .map(({ pid, path: held }) => ({ pid, path: held }));
  if ((database.target?.kind ?? database.kind) !== 'file') return facts;
  for (const role of ['wal', 'shm'] as const) {
    const companion = fileFacts(`${real}-${role}`);
    if (companion.kind !== 'missing') facts.files.push({ role, facts: companion });
  }
  let header: ReturnType<typeof readHeader>;
  try {
    header = readHeader(real);
  } catch (error) {
    facts.openError = describeFailure(error);
    return facts;
  }
  facts.format = header.format;
  facts.schemaVersion = header.userVersion;
  if (facts.format !== 'sqlite') return facts;
  if (!database.writable && !existsSync(`${real}-wal`)) {
    // Any connection would create a -wal and -shm that only a writer can remove again.
    facts.integrity = {
      check: 'quick_check',
      result: 'skipped',
      problems: [
        'not run: the file is not writable by you, and SQLite would leave -wal and -shm files behind',
      ],
      elapsedMs: 0,
    };
    return facts;
  }

  const classify = sqliteClassifier(path);
  try {
    const db = openForInspection(real);
    try {
      facts.schemaVersion = db.pragma('user_version', { simple: true }) as number;
      facts.otherTables = (
        db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .pluck()
          .all() as string[]
      ).filter((name) => name !== 'jobs');
    } finally {
      db.close();
    }
  } catch (error) {
    facts.openError = describeFailure(classify(error) ?? error);
    return facts;
  }
  facts.integrity = await checkSqliteIntegrity(real, { full: options.full });
  if (facts.schemaVersion !== SCHEMA_VERSION) return facts;

  try {
    const store = openSqliteStore(path, systemClock, { durable: false, inspect: true });
    try {
      const settings = resolveSettings(await store.configGetAll());
      facts.leaseTimeoutMs = settings.leaseTimeoutMs;
      facts.workers = await store.workerList({ staleAfterMs: settings.leaseTimeoutMs });
      facts.held = await store.jobListHeld();
      facts.now = await store.now();
    } finally {
      await store.close();
    }
  } catch (error) {
    facts.readError = describeFailure(error);
  }
  return facts;
}
