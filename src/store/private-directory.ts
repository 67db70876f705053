/**
 * Directories queuectl keeps private (0700). Only directories whose name queuectl chose are
 * checked and tightened: the data directory (`$XDG_DATA_HOME/queuectl`), its `logs/`, and a
 * database's `<database>.logs`. The directory a user names for a `--db` file (a project
 * directory, /tmp) is the user's: it is made 0700 when missing and never changed when it exists.
 *
 * Every check works on a descriptor opened without following a symlink, so what is checked,
 * tightened and then written into is one and the same directory, whatever is renamed meanwhile.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
} from 'node:fs';

/** A private directory that cannot be used; the message says why and what to do. */
export class DirectoryError extends Error {}

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const PRIVATE = 0o700;
/** Permission bits beyond the owner's: any of them is looser than the promised 0700. */
const OTHERS = 0o077;

/**
 * Opens `dir` (made 0700 first when missing) for writing files into; `what` names it in errors
 * ("log directory"). Refuses a symlink, something that is not a directory, and a directory that
 * belongs to another user; one looser than 0700 is tightened to 0700, and refused if it cannot
 * be while group or others may write into it. Returns the directory's descriptor.
 */
export function openPrivateDirectory(dir: string, what: string): number {
  const fd = openDirectory(dir, what, true);
  try {
    const stat = fstatSync(fd);
    const uid = process.geteuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      throw new DirectoryError(
        `${what} ${dir} belongs to uid ${stat.uid}, not to this user (uid ${uid}); ` +
          'remove it (queuectl makes it) or run queuectl as its owner',
      );
    }
    if ((stat.mode & OTHERS) !== 0) {
      try {
        fchmodSync(fd, PRIVATE);
      } catch (error) {
        if ((stat.mode & 0o022) !== 0) {
          throw new DirectoryError(
            `${what} ${dir} is writable by group or others (mode ${octal(stat.mode)}) and could ` +
              `not be made 0700 (${codeOf(error)}); make it 0700 or remove it`,
          );
        }
      }
    }
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Makes `dir` 0700 when missing; when it exists as a directory of this user's that is looser
 * than 0700, tightens it. A symlink or another user's directory is left as it is: a user may
 * point the data directory elsewhere on purpose, and its target is then the user's business.
 */
export function tightenDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openDirectory(dir, 'directory', false);
  } catch (error) {
    if (error instanceof DirectoryError) throw error; // missing, and cannot be made
    return; // a symlink, a file, unreadable: not a directory queuectl may change
  }
  try {
    const stat = fstatSync(fd);
    if ((stat.mode & OTHERS) !== 0 && stat.uid === process.geteuid?.()) fchmodSync(fd, PRIVATE);
  } catch {
    // A read-only file system, say: the directory stays as it was.
  } finally {
    closeSync(fd);
  }
}

/**
 * Times `dir` is opened again when what stood there changed between a failed open and the look
 * at why (a directory that was a symlink a moment ago, or was removed): the failure described a
 * state that no longer holds, so the open is tried on what is there now.
 */
const CHANGED_RETRIES = 3;

/**
 * Opens an existing directory to read the files in it (a log directory, for `logs` and `rm`),
 * without following a final symlink; null when nothing is there. Nothing is made or tightened;
 * a symlink, a file or an unreadable directory is a DirectoryError that says which.
 */
export function openExistingDirectory(dir: string, what: string): number | null {
  return openDirectory(dir, what, true, false);
}

/**
 * Opens a directory without following a final symlink, making it (0700) when missing, or, when
 * not `make`, returning null for a missing one.
 */
function openDirectory(dir: string, what: string, explain: boolean): number;
function openDirectory(dir: string, what: string, explain: boolean, make: false): number | null;
function openDirectory(dir: string, what: string, explain: boolean, make = true): number | null {
  for (let attempt = 0; ; attempt++) {
    try {
      return openSync(dir, DIRECTORY_FLAGS);
    } catch (error) {
      const code = codeOf(error);
      const retry = attempt < CHANGED_RETRIES;
      if (code === 'ENOENT' && !make) return null;
      if (code === 'ENOENT' && retry) {
        try {
          // recursive: no error when another process made it first.
          mkdirSync(dir, { recursive: true, mode: PRIVATE });
        } catch (made) {
          throw new DirectoryError(`cannot make ${what} ${dir}: ${codeOf(made)}`);
        }
        continue;
      }
      const kind = NOT_A_DIRECTORY.has(code) ? kindOf(dir) : 'other';
      if (kind === 'changed' && retry) continue;
      if (!explain) throw error;
      throw new DirectoryError(whyNotADirectory(dir, what, code, kind));
    }
  }
}

/** The errors an open without following gives for a symlink or a file where a directory was. */
const NOT_A_DIRECTORY = new Set(['ENOTDIR', 'ELOOP']);

type Kind = 'symlink' | 'file' | 'changed' | 'other';

/**
 * What stands at `dir` after an open without following failed as on a symlink or a file: one of
 * those, or 'changed' when it is a directory again or gone (replaced since the open).
 */
function kindOf(dir: string): Kind {
  try {
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) return 'symlink';
    return stat.isDirectory() ? 'changed' : 'file';
  } catch {
    return 'changed';
  }
}

/** O_DIRECTORY | O_NOFOLLOW says ENOTDIR for a symlink and a file alike; lstat told them apart. */
function whyNotADirectory(dir: string, what: string, code: string, kind: Kind): string {
  if (kind === 'symlink') {
    return `${what} ${dir} is a symlink, which queuectl does not follow; remove it (queuectl makes the directory)`;
  }
  if (kind === 'file') {
    return `${what} ${dir} is not a directory; move the file away (queuectl makes the directory)`;
  }
  return `cannot open ${what} ${dir}: ${code}`;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The errno name of a failed system call (ENOENT, …), or the message of any other error. */
export function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
