/** The live worker processes of one `worker start`, found through `queuectl status --json`. */
import { readFileSync } from 'node:fs';
import { cliJson, type CliEnv } from '../../helpers/run-cli.js';

interface StatusJson {
  workers: { id: string; pid: number }[];
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return null;
    return Number(fields[1]);
  } catch {
    return null;
  }
}

/** Registered workers that are alive and children of the given supervisor. */
export async function liveWorkerPids(env: CliEnv, supervisorPid: number): Promise<number[]> {
  const status = await cliJson<StatusJson>(env, ['status']);
  return status.workers.map((w) => w.pid).filter((pid) => parentOf(pid) === supervisorPid);
}
