/**
 * Output files from the reading side and the log directory up front: a symlink planted where a
 * run's file or the log directory should be is refused, never followed, by `readRunOutput` (the
 * dashboard), `removeRunOutput` (`rm`, `clean`), `queuectl logs` and `queuectl worker start`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunOutput } from '../../src/core/run-output.js';
import { logPath, removeRunOutput } from '../../src/core/output-files.js';
import { sandbox } from '../helpers/cli-sandbox.js';
import { tempDir } from '../helpers/temp-dir.js';

const SECRET = 'root:secret-hash:19000:0:99999:7:::\n';

/** A log directory holding one ordinary output file and a victim file outside it. */
function planted() {
  const logDir = join(tempDir(), 'q.db.logs');
  mkdirSync(logDir, { mode: 0o700 });
  const victim = join(tempDir(), 'shadow');
  writeFileSync(victim, SECRET);
  writeFileSync(logPath(logDir, 'ok', 1, 'stdout'), 'hello\nworld\n');
  return { logDir, victim };
}

describe('readRunOutput', () => {
  it('reads a run’s output, the end of it when capped', async () => {
    const { logDir } = planted();
    expect(await readRunOutput(logDir, 'ok', 1, 'stdout')).toEqual({
      attempt: 1,
      stream: 'stdout',
      text: 'hello\nworld\n',
      size: 12,
      truncated: false,
    });
    expect(await readRunOutput(logDir, 'ok', 1, 'stdout', 6)).toMatchObject({
      text: 'world\n',
      truncated: true,
    });
    expect(await readRunOutput(logDir, 'ok', 1, 'stderr')).toMatchObject({ text: '', size: 0 });
  });

  it('refuses a symlink planted at a run’s file', async () => {
    const { logDir, victim } = planted();
    symlinkSync(victim, logPath(logDir, 'job', 1, 'stdout'));
    await expect(readRunOutput(logDir, 'job', 1, 'stdout')).rejects.toThrow(
      `output file ${logPath(logDir, 'job', 1, 'stdout')} is a symlink, which queuectl does not follow`,
    );
  });

  it('refuses a log directory that is a symlink', async () => {
    const { logDir } = planted();
    const link = join(tempDir(), 'q.db.logs');
    symlinkSync(logDir, link);
    await expect(readRunOutput(link, 'ok', 1, 'stdout')).rejects.toThrow(
      `log directory ${link} is a symlink, which queuectl does not follow`,
    );
  });

  it('refuses a FIFO planted at a run’s file, without blocking on it', async () => {
    const { logDir } = planted();
    execFileSync('mkfifo', [logPath(logDir, 'job', 1, 'stderr')]);
    await expect(readRunOutput(logDir, 'job', 1, 'stderr')).rejects.toThrow(
      /is not a regular file/,
    );
  });

  it('finds nothing when the log directory is missing', async () => {
    const { logDir } = planted();
    rmSync(logDir, { recursive: true });
    expect(await readRunOutput(logDir, 'ok', 1, 'stdout')).toMatchObject({ text: '', size: 0 });
  });
});

describe('removeRunOutput', () => {
  it('removes the runs’ files and counts their bytes; a missing directory is nothing to do', () => {
    const { logDir } = planted();
    const tally = { bytes: 0 };
    expect(removeRunOutput(logDir, [{ id: 'ok', runs: 2 }], tally)).toEqual([]);
    expect(tally.bytes).toBe(12);
    expect(existsSync(logPath(logDir, 'ok', 1, 'stdout'))).toBe(false);
    rmSync(logDir, { recursive: true });
    expect(removeRunOutput(logDir, [{ id: 'ok', runs: 1 }])).toEqual([]);
  });

  it('does not look into a log directory that is a symlink, and says so', () => {
    const { logDir } = planted();
    const link = join(tempDir(), 'q.db.logs');
    symlinkSync(logDir, link);
    expect(removeRunOutput(link, [{ id: 'ok', runs: 1 }])).toEqual([
      `log directory ${link} is a symlink, which queuectl does not follow; remove it (queuectl makes the directory); output files were left`,
    ]);
    expect(readFileSync(logPath(logDir, 'ok', 1, 'stdout'), 'utf8')).toBe('hello\nworld\n');
  });
});

describe('the CLI', () => {
  it('`logs` refuses a planted symlink and shows nothing of its target', async () => {
    const box = sandbox();
    expect((await box.run(['enqueue', '{"id":"job","command":"echo real"}'])).code).toBe(0);
    expect((await box.run(['worker', 'start', '--drain', '--quiet'])).code).toBe(0);
    expect((await box.run(['logs', 'job'])).stdout).toBe('real\n');

    const victim = join(box.home, 'shadow');
    writeFileSync(victim, SECRET);
    const file = logPath(`${box.db}.logs`, 'job', 1, 'stdout');
    rmSync(file);
    symlinkSync(victim, file);
    for (const args of [
      ['logs', 'job'],
      ['logs', 'job', '--json'],
      ['logs', 'job', '--follow'],
    ]) {
      const result = await box.run(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toBe(
        `queuectl: output file ${file} is a symlink, which queuectl does not follow\n`,
      );
    }
  });

  it('`worker start` refuses a log directory that is a symlink, once, before starting workers', async () => {
    const box = sandbox();
    const elsewhere = tempDir();
    symlinkSync(elsewhere, `${box.db}.logs`);
    const result = await box.run(['worker', 'start', '--drain']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `queuectl: log directory ${box.db}.logs is a symlink, which queuectl does not follow; remove it (queuectl makes the directory)\n`,
    });
  });
});
