import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFastEnqueue } from '../../src/cli/fast-enqueue.js';
import { CLI, runCli } from '../helpers/run-cli.js';
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

describe('queuectl enqueue writing its line', () => {
  const sh = (script: string, env: NodeJS.ProcessEnv) =>
    spawnSync('sh', ['-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' });

  it('stores the job and exits 0 quietly when its output pipe is already closed', () => {
    const home = tempDir();
    const db = join(home, 'q.db');
    // `true` exits at once: the enqueue writes into a pipe nobody reads (EPIPE).
    const result = sh(
      `node "$CLI" --db "$DB" enqueue '{"id":"p1","command":"true"}' | true; echo "exit \${PIPESTATUS:-done}"`,
      { CLI, DB: db, HOME: home },
    );
    expect(result.stderr).toBe('');
    const shown = sh(`node "$CLI" --db "$DB" show p1 --json`, { CLI, DB: db, HOME: home });
    expect(JSON.parse(shown.stdout).job.state).toBe('pending');
  });

  it('writes its whole line to a file, and to a non-blocking pipe that is full for a while', () => {
    const home = tempDir();
    const db = join(home, 'q.db');
    const out = join(home, 'out');
    const env = { CLI, DB: db, HOME: home, OUT: out };
    sh(`node "$CLI" --db "$DB" enqueue '{"id":"f1","command":"true"}' > "$OUT"`, env);
    expect(readFileSync(out, 'utf8')).toBe('enqueued f1\n');
    // A pipe made non-blocking and filled to the brim before the enqueue writes to it: its
    // write fails with EAGAIN until the reader, 300 ms later, makes room.
    const script = [
      'import os, subprocess, sys, time',
      'r, w = os.pipe()',
      'os.set_blocking(w, False)',
      'filled = 0',
      'while True:',
      '    try: filled += os.write(w, b"x" * 4096)',
      '    except BlockingIOError: break',
      'child = subprocess.Popen([sys.argv[1], sys.argv[2], "--db", sys.argv[3], "enqueue", \'{"id":"f2","command":"true"}\', "--json"], stdout=w)',
      'os.close(w)',
      'time.sleep(0.3)',
      'data = b""',
      'while chunk := os.read(r, 65536): data += chunk',
      'sys.stdout.write(str(child.wait()) + "\\n" + data[filled:].decode())',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script, process.execPath, CLI, db], {
      env: { ...process.env, HOME: home },
      encoding: 'utf8',
    });
    const [code, ...rest] = result.stdout.split('\n');
    expect(code, result.stderr).toBe('0');
    expect(JSON.parse(rest.join('\n'))).toMatchObject({ id: 'f2', state: 'pending' });
  });
});
