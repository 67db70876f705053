/**
 * Reading /proc/<pid>/stat: the fields after the command name, which may hold spaces and
 * parentheses, and only as many as asked for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processGroupOf, processStartTime, statFields } from '../../src/worker/process-info.js';
import { tempDir } from '../helpers/temp-dir.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** `sleep 30` run from a copy named to look like the end of the command-name field. */
function oddlyNamedSleep(): ChildProcess {
  const path = join(tempDir(), 'a) b (c) d');
  copyFileSync('/bin/sleep', path);
  const child = spawn(path, ['30'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('statFields', () => {
  it('reads the fields after the last ")" of the command name, only as many as asked', () => {
    const child = oddlyNamedSleep();
    const pid = child.pid!;
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    expect(stat).toContain('(a) b (c) d)');
    const all = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // detached: its own session and group, led by itself; its parent is this process. Its state
    // (R, then S) and times move between reads; the rest does not.
    const four = statFields(pid, 4)!;
    expect(four).toHaveLength(4);
    expect(four[0]).toMatch(/^[RSD]$/);
    expect(four.slice(1)).toEqual([String(process.pid), String(pid), String(pid)]);
    const twenty = statFields(pid)!;
    expect(twenty).toHaveLength(20);
    expect([twenty[4], twenty[19]]).toEqual([all[4], all[19]]);
    expect(processStartTime(pid)).toBe(all[19]);
    expect(processGroupOf(pid)).toBe(pid);
  });

  it('says null for a process that is gone', async () => {
    const child = oddlyNamedSleep();
    const pid = child.pid!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(statFields(pid, 4)).toBeNull();
    expect(processStartTime(pid)).toBeNull();
  });
});
