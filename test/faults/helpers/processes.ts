/** Finds processes by their environment (inherited by every descendant) through /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live processes whose environment holds NAME=VALUE (prefix match when VALUE ends in *). */
export function processesWithEnv(name: string, value: string): number[] {
  const prefix = value.endsWith('*');
  const wanted = `${name}=${prefix ? value.slice(0, -1) : value}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.startsWith('Z')) continue;
    } catch {
      continue; // gone, or not ours
    }
    const hit = environ
      .split('\0')
      .some((pair) => (prefix ? pair.startsWith(wanted) : pair === wanted));
    if (hit) found.push(pid);
  }
  return found;
}

export function killPids(pids: number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
