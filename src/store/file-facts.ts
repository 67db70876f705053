/** What a path is on disk, for `queuectl doctor`: kind, owner, mode, and what this user may do. */
import {
  accessSync,
  constants,
  lstatSync,
  readlinkSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { dirname, resolve } from 'node:path';

export type FileKind = 'missing' | 'file' | 'directory' | 'symlink' | 'other';

export interface FileFacts {
  path: string;
  kind: FileKind;
  /** Permission bits (0o777) of the path, or of its target when it is a symlink. */
  mode: number | null;
  /** A directory whose sticky bit is set (like /tmp): others cannot remove what is yours. */
  sticky: boolean;
  uid: number | null;
  size: number | null;
  readable: boolean;
  writable: boolean;
  /** A symlink's resolved target and what is there ('missing': the link dangles). */
  target?: { path: string; kind: FileKind };
}

function kindOf(stats: Stats): FileKind {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  return 'other';
}

function may(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

export function fileFacts(path: string): FileFacts {
  const own = lstatSync(path, { throwIfNoEntry: false });
  if (!own) {
    return {
      path,
      kind: 'missing',
      mode: null,
      sticky: false,
      uid: null,
      size: null,
      readable: false,
      writable: false,
    };
  }
  const kind = kindOf(own);
  let stats = own;
  let target: FileFacts['target'];
  if (kind === 'symlink') {
    const resolved = statSync(path, { throwIfNoEntry: false });
    let targetPath: string;
    try {
      targetPath = realpathSync(path);
    } catch {
      targetPath = resolve(dirname(path), readlinkSync(path)); // dangling
    }
    target = { path: targetPath, kind: resolved ? kindOf(resolved) : 'missing' };
    if (resolved) stats = resolved;
  }
  return {
    path,
    kind,
    mode: stats.mode & 0o777,
    sticky: (stats.mode & 0o1000) !== 0,
    uid: stats.uid,
    size: stats.size,
    readable: may(path, constants.R_OK),
    writable: may(path, constants.W_OK),
    ...(target ? { target } : {}),
  };
}
