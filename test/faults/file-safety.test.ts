/**
 * Scenario 8: the database, its WAL and shared-memory files, and job logs are readable only by
 * their owner, even when queuectl runs under umask 022 (which leaves new files world-readable).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { collect } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { stateCounts } from './helpers/database.js';
import { faultEnv, reapEnvironment, startCliInShell, startWorkers } from './helpers/fault-env.js';
import { figure } from './helpers/figures.js';

const env = faultEnv('file-safety');
/** No --db and no QUEUECTL_DB: queuectl creates its data directory and database itself. */
const defaultLocation = { ...env, db: undefined };
const UMASK = 'umask 022';

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
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
