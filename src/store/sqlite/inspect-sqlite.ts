/** `queuectl doctor` on a SQLite file: what is there, read without creating or changing anything. */
import { closeSync, openSync, readSync } from 'node:fs';
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

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');

function readFormat(path: string): StoreFacts['format'] {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(HEADER.length);
    const read = readSync(fd, head, 0, head.length, 0);
    if (read === 0) return 'empty';
    return read === HEADER.length && head.equals(HEADER) ? 'sqlite' : 'not-sqlite';
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
  try {
    facts.format = readFormat(real);
  } catch (error) {
    facts.openError = describeFailure(error);
    return facts;
  }
  if (facts.format === 'empty') facts.schemaVersion = 0;
  if (facts.format !== 'sqlite') return facts;

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
