/**
 * Opening a private directory while another process replaces what stands at its path: the open
 * fails on a symlink, and by the time queuectl looks at why, a directory is there again (CI saw a
 * run end "cannot open log directory …: ENOTDIR" this way). The race is made deterministic by
 * doing the replacement inside the look (lstat) and, to show the retries end, inside the open.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const hooks: { beforeLstat?: () => void; beforeOpen?: () => void } = {};

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    lstatSync: ((...args: Parameters<typeof real.lstatSync>) => {
      hooks.beforeLstat?.();
      return real.lstatSync(...args);
    }) as typeof real.lstatSync,
    openSync: ((...args: Parameters<typeof real.openSync>) => {
      hooks.beforeOpen?.();
      return real.openSync(...args);
    }) as typeof real.openSync,
  };
});

const { openExistingDirectory, openPrivateDirectory, DirectoryError } =
  await import('../../src/store/private-directory.js');

afterEach(() => {
  delete hooks.beforeLstat;
  delete hooks.beforeOpen;
});

function setUp(): { dir: string; elsewhere: string } {
  const root = tempDir('private-dir');
  const elsewhere = join(root, 'elsewhere');
  fs.mkdirSync(elsewhere);
  return { dir: join(root, 'logs'), elsewhere };
}

/** Swaps what stands at `dir` for a fresh directory (0700) or a symlink to `target`. */
function replaceWith(dir: string, what: 'directory' | 'symlink', target: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  if (what === 'directory') fs.mkdirSync(dir, { mode: 0o700 });
  else fs.symlinkSync(target, dir);
}

function openedIsDirectory(fd: number, dir: string): boolean {
  try {
    const opened = fs.fstatSync(fd);
    const there = fs.statSync(dir);
    return opened.isDirectory() && opened.ino === there.ino;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A symlink at the path is replaced by a directory between `open`'s failed open and its look at
 * why: it opens that directory, after one look.
 */
function opensWhatReplacedASymlink(open: (dir: string, what: string) => number | null): void {
  const { dir, elsewhere } = setUp();
  fs.symlinkSync(elsewhere, dir);
  let looks = 0;
  hooks.beforeLstat = () => {
    if (looks++ === 0) replaceWith(dir, 'directory', elsewhere);
  };
  expect(openedIsDirectory(open(dir, 'log directory')!, dir)).toBe(true);
  expect(looks).toBe(1);
}

describe('openPrivateDirectory, with the path replaced meanwhile', () => {
  it('opens the directory that replaced a symlink between the failed open and the look', () =>
    opensWhatReplacedASymlink(openPrivateDirectory));

  it('makes the directory again when it was removed between the failed open and the look', () => {
    const { dir, elsewhere } = setUp();
    fs.symlinkSync(elsewhere, dir);
    hooks.beforeLstat = () => {
      fs.rmSync(dir, { force: true });
      delete hooks.beforeLstat;
    };
    expect(openedIsDirectory(openPrivateDirectory(dir, 'log directory'), dir)).toBe(true);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('still refuses a symlink that stays, after one look', () => {
    const { dir, elsewhere } = setUp();
    fs.symlinkSync(elsewhere, dir);
    let looks = 0;
    hooks.beforeLstat = () => void looks++;
    expect(() => openPrivateDirectory(dir, 'log directory')).toThrow(
      new DirectoryError(
        `log directory ${dir} is a symlink, which queuectl does not follow; remove it (queuectl makes the directory)`,
      ),
    );
    expect(looks).toBe(1);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('gives up with the error it got when the path flips on every try', () => {
    const { dir, elsewhere } = setUp();
    fs.mkdirSync(dir, { mode: 0o700 });
    let opens = 0;
    hooks.beforeOpen = () => {
      opens++;
      replaceWith(dir, 'symlink', elsewhere);
    };
    hooks.beforeLstat = () => replaceWith(dir, 'directory', elsewhere);
    expect(() => openPrivateDirectory(dir, 'log directory')).toThrow(
      new DirectoryError(`cannot open log directory ${dir}: ENOTDIR`),
    );
    expect(opens).toBe(4);
  });
});

describe('openExistingDirectory (readers: logs, rm), with the path replaced meanwhile', () => {
  it('opens the directory that replaced a symlink between the failed open and the look', () =>
    opensWhatReplacedASymlink(openExistingDirectory));

  it('finds nothing, and makes nothing, when the symlink was removed before the look', () => {
    const { dir, elsewhere } = setUp();
    fs.symlinkSync(elsewhere, dir);
    hooks.beforeLstat = () => {
      fs.rmSync(dir, { force: true });
      delete hooks.beforeLstat;
    };
    expect(openExistingDirectory(dir, 'log directory')).toBeNull();
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('refuses a symlink that stays and a file, and leaves both as they were', () => {
    const { dir, elsewhere } = setUp();
    fs.symlinkSync(elsewhere, dir);
    expect(() => openExistingDirectory(dir, 'log directory')).toThrow(
      new DirectoryError(
        `log directory ${dir} is a symlink, which queuectl does not follow; remove it (queuectl makes the directory)`,
      ),
    );
    expect(fs.lstatSync(dir).isSymbolicLink()).toBe(true);
    fs.rmSync(dir);
    fs.writeFileSync(dir, 'x');
    expect(() => openExistingDirectory(dir, 'log directory')).toThrow(
      new DirectoryError(
        `log directory ${dir} is not a directory; move the file away (queuectl makes the directory)`,
      ),
    );
    expect(fs.readFileSync(dir, 'utf8')).toBe('x');
  });

  it('does not tighten a directory it only reads', () => {
    const { dir } = setUp();
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    expect(openedIsDirectory(openExistingDirectory(dir, 'log directory')!, dir)).toBe(true);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o755);
  });
});
