/**
 * Which processes have a file open, from /proc/PID/fd (Linux; elsewhere none are found). Only
 * this user's processes are readable, which is what is wanted. A file deleted while open shows
 * as "PATH (deleted)".
 */
import { readdirSync, readlinkSync } from 'node:fs';

export interface OpenFile {
  pid: number;
  /** The path as given. */
  path: string;
  deleted: boolean;
}

/** Each process that has one of `paths` open (first match per process), deleted or not. */
export function processesWithOpenFile(paths: string[]): OpenFile[] {
  const wanted = new Map<string, { path: string; deleted: boolean }>();
  for (const path of paths) {
    wanted.set(path, { path, deleted: false });
    wanted.set(`${path} (deleted)`, { path, deleted: true });
  }
  const found: OpenFile[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let hit;
      try {
        hit = wanted.get(readlinkSync(`/proc/${entry}/fd/${fd}`));
      } catch {
        continue;
      }
      if (hit) {
        found.push({ pid: Number(entry), ...hit });
        break;
      }
    }
  }
  return found;
}
