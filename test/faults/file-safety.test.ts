/**
 * Scenario 8: the database, its WAL and shared-memory files, and job logs are readable only by
 * their owner, even when queuectl runs under umask 022 (which leaves new files world-readable);
 * a data directory or log directory found looser than 0700 is tightened, while a directory the
 * user chose for a --db file is left as it is.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { collect } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { stateCounts } from './helpers/database.js';
import { faultEnv, reapEnvironment, startCliInShell, startWorkers } from './helpers/fault-env.js';
import { figure } from './helpers/figures.js';

const env = faultEnv('file-safety');
const loose = faultEnv('file-safety-loose');
/** No --db and no QUEUECTL_DB: queuectl creates its data directory and database itself. */
const defaultLocation = { ...env, db: undefined };
const UMASK = 'umask 022';

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
  expect(await reapEnvironment(loose)).toEqual([]);
});

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(3, '0');

test('the database, its WAL and job logs are private to their owner under umask 022', async () => {
  // The default location (no --db): the data directory is created by queuectl too.
  const enqueued = await collect(
    startCliInShell(
      defaultLocation,
      ['enqueue', '{"id":"talk","command":"echo out; echo err >&2"}'],
      {
        prelude: UMASK,
      },
    ),
  );
  expect(enqueued.code, enqueued.stderr).toBe(0);
  const dataDir = join(env.home, '.local', 'share', 'queuectl');
  const db = join(dataDir, 'queuectl.db');

  const workers = startWorkers(defaultLocation, 1, UMASK);
  const modes: Record<string, string> = {};
  try {
    await waitFor(() => stateCounts(db).completed === 1, { what: 'the job to complete' });
    // The worker holds the database open, so the WAL and shared-memory files exist now.
    const paths = {
      'data directory': dataDir,
      database: db,
      WAL: `${db}-wal`,
      'shared memory': `${db}-shm`,
      'log directory': `${db}.logs`,
      stdout: join(`${db}.logs`, 'talk.1.stdout'),
      stderr: join(`${db}.logs`, 'talk.1.stderr'),
    };
    for (const [name, path] of Object.entries(paths)) {
      expect(existsSync(path), `${name} ${path} exists`).toBe(true);
      modes[name] = mode(path);
    }
  } finally {
    await workers.stop();
  }
  figure(
    `file safety (umask 022): ${Object.entries(modes)
      .map(([name, m]) => `${name} ${m}`)
      .join(', ')}`,
  );
  expect(modes).toEqual({
    'data directory': '700',
    database: '600',
    WAL: '600',
    'shared memory': '600',
    'log directory': '700',
    stdout: '600',
    stderr: '600',
  });
});

test('a data directory and log directories left 0777 are tightened to 0700; a --db directory is not', async () => {
  const dataDir = join(loose.home, '.local', 'share', 'queuectl');
  const defaultLogs = join(dataDir, 'queuectl.db.logs');
  const userDir = join(loose.dir, 'work', 'shared');
  const userLogs = join(userDir, 'queue.db.logs');
  for (const dir of [defaultLogs, userLogs]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
  }
  chmodSync(dataDir, 0o777);
  chmodSync(userDir, 0o777);
  const atDefault = { ...loose, db: undefined };
  const atUserDir = { ...loose, db: join(userDir, 'queue.db') };

  const modes: Record<string, string> = {};
  for (const place of [atDefault, atUserDir]) {
    const db = place.db ?? join(dataDir, 'queuectl.db');
    const enqueued = await collect(
      startCliInShell(place, ['enqueue', '{"id":"talk","command":"echo out"}'], {
        prelude: UMASK,
      }),
    );
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const workers = startWorkers(place, 1, UMASK);
    try {
      await waitFor(() => stateCounts(db).completed === 1, { what: 'the job to complete' });
    } finally {
      await workers.stop();
    }
  }
  Object.assign(modes, {
    'data directory': mode(dataDir),
    'its log directory': mode(defaultLogs),
    '--db directory': mode(userDir),
    'its log directory (--db)': mode(userLogs),
  });
  figure(
    `file safety (left 0777): ${Object.entries(modes)
      .map(([name, m]) => `${name} ${m}`)
      .join(', ')}`,
  );
  expect(modes).toEqual({
    'data directory': '700',
    'its log directory': '700',
    '--db directory': '777',
    'its log directory (--db)': '700',
  });
});
