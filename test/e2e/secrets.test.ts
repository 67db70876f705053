/**
 * A database password never shows: not in what queuectl prints, not in any process's command
 * line (readable by every user through ps), not in the environment of the jobs it runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { displayLocation, hidePasswords } from '../../src/store/open-store.js';
import { collect, runCli, startCli } from '../helpers/run-cli.js';
import { describePg, freshPgUrl } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

it('shows locations without their password, also when they do not parse as URLs', () => {
  expect(displayLocation('postgres://app:s3cret@db:5432/app?schema=x')).toBe(
    'postgres://app@db:5432/app?schema=x',
  );
  expect(displayLocation('postgres://app:s3%40cret@db/app')).toBe('postgres://app@db/app');
  expect(displayLocation('postgres://app:s3cret@db:notaport/app')).not.toContain('s3cret');
  expect(displayLocation('/tmp/q.db')).toBe('/tmp/q.db');
  expect(hidePasswords('a postgresql://u:p@h/d and redis://:pw@h')).toBe(
    'a postgresql://u@h/d and redis://@h',
  );
});

/** The command lines of every live process, as `ps` shows them to any user. */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'latin1').replace(/\0/g, ' '));
    } catch {
      // gone meanwhile
    }
  }
  return lines;
}

describePg('secrets on PostgreSQL', () => {
  it('keeps the password of --db out of output, command lines and job environments', async () => {
    const secret = `pw${Date.now().toString(36)}secret`;
    const url = new URL(freshPgUrl());
    url.password = secret; // the test server trusts local connections, so any password works
    const db = url.toString();
    const ctx = { home: tempDir() };
    const enqueue = await runCli(ctx, [
      '--db',
      db,
      'enqueue',
      '{"id":"env","command":"env; echo done"}',
    ]);
    expect(enqueue.code, enqueue.stderr).toBe(0);

    const workers = startCli(ctx, ['--db', db, 'worker', 'start', '--count', '2']);
    const done = collect(workers);
    try {
      await waitFor(
        async () => {
          const show = await runCli(ctx, ['--db', db, 'show', 'env', '--json']);
          return show.code === 0 && JSON.parse(show.stdout).job.state === 'completed';
        },
        { what: 'the job to complete' },
      );
      const leaks = allCommandLines().filter((line) => line.includes(secret));
      expect(leaks).toEqual([]);
      const outputs = await Promise.all(
        [['status'], ['logs', 'env'], ['show', 'env'], ['list']].map((args) =>
          runCli(ctx, ['--db', db, ...args]),
        ),
      );
      for (const output of outputs) {
        expect(output.code, output.stderr).toBe(0);
        expect(output.stdout + output.stderr).not.toContain(secret);
      }
      expect(outputs[1]!.stdout).toMatch(/QUEUECTL_JOB_ID=env/); // the job's environment, read
    } finally {
      workers.kill('SIGTERM');
    }
    const result = await done;
    expect(result.stderr).toMatch(/started 2 workers .* on postgres:\/\/postgres@/);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });
});
