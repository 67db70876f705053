import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { selfCommand } from '../../src/cli/self-command.js';
import { tempDir } from '../helpers/temp-dir.js';

it('names how to run queuectl again from where the user is', () => {
  const root = tempDir();
  const script = join(root, 'dist', 'cli', 'bin.cjs');
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(script, '');
  chmodSync(script, 0o755);
  const bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  symlinkSync(script, join(bin, 'queuectl'));
  const elsewhere = tempDir();

  expect(selfCommand(script, '/usr/bin', elsewhere, true)).toBe('npx queuectl');
  expect(selfCommand(script, `/usr/bin:${bin}`, elsewhere, false)).toBe('queuectl');
  expect(selfCommand(script, '/usr/bin', root, false)).toBe('npx queuectl');
  expect(selfCommand(script, '/usr/bin', join(root, 'dist'), false)).toBe('npx queuectl');
  expect(selfCommand(script, '/usr/bin', elsewhere, false)).toBe(`${process.execPath} ${script}`);
});
