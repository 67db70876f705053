import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFastEnqueue } from '../../src/cli/fast-enqueue.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('parseFastEnqueue', () => {
  it('recognises enqueue with one JSON argument, --db anywhere and --json after the command', () => {
    const json = '{"command":"true"}';
    expect(parseFastEnqueue(['enqueue', json])).toEqual({ json, db: undefined, printJson: false });
    expect(parseFastEnqueue(['--db', 'x.db', 'enqueue', json, '--json'])).toEqual({
      json,
      db: 'x.db',
      printJson: true,
    });
    expect(parseFastEnqueue(['enqueue', json, '--db=y.db'])).toEqual({
      json,
      db: 'y.db',
      printJson: false,
    });
  });

  it('leaves every other command line to the full program', () => {
    for (const args of [
      [],
      ['status'],
      ['enqueue'],
      ['enqueue', '--help'],
      ['enqueue', '-c', 'true'],
      ['enqueue', '--file', 'jobs.ndjson'],
      ['enqueue', '{}', '{}'],
      ['enqueue', '{}', '--db'],
      ['--json', 'enqueue', '{}'],
      ['enqueue', '--', '{}'],
      ['list', 'enqueue'],
    ]) {
      expect(parseFastEnqueue(args), args.join(' ')).toBeNull();
    }
  });
});

describe('queuectl enqueue on the fast path (built CLI)', () => {
  it('stores the job and prints what the full program prints', async () => {
    const home = tempDir();
    const db = join(home, 'q.db');
    const plain = await runCli({ home, db }, ['enqueue', '{"id":"a1","command":"echo hi"}']);
    expect(plain).toMatchObject({ code: 0, stdout: 'enqueued a1\n', stderr: '' });
    const json = await runCli({ home }, [
      '--db',
      db,
      'enqueue',
      '{"id":"a2","command":"true"}',
      '--json',
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'a2', command: 'true', state: 'pending' });
    const shown = await runCli({ home, db }, ['show', 'a1', '--json']);
    expect(JSON.parse(shown.stdout).job).toMatchObject({
      id: 'a1',
      command: 'echo hi',
      state: 'pending',
    });
  });

  it('exits 2 with one line for a duplicate id or an invalid spec, like the full program', async () => {
    const home = tempDir();
    const db = join(home, 'q.db');
    await runCli({ home, db }, ['enqueue', '{"id":"dup","command":"true"}']);
    const duplicate = await runCli({ home, db }, ['enqueue', '{"id":"dup","command":"true"}']);
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/^queuectl: a job with id "dup" already exists[^\n]*\n$/);
    const invalid = await runCli({ home, db }, ['enqueue', '{"command":"true","bogus":1}']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^queuectl: unknown field "bogus"/);
    const badJson = await runCli({ home, db }, ['enqueue', '{nope']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/invalid JSON/);
  });
});
