/** The portable launcher: Node's child_process, which forks the worker and then execs. */
import { spawn } from 'node:child_process';
import type { ExitStatus, Launched, Launcher, LaunchSpec } from './launcher.js';

export const childProcessLauncher: Launcher = {
  name: 'child_process',
  launch(spec: LaunchSpec): Launched {
    const child = spawn(spec.file, spec.args, {
      detached: true,
      stdio: ['ignore', spec.stdout, spec.stderr],
      env: spec.baseEnv ? { ...spec.baseEnv, ...spec.env } : spec.env,
      cwd: spec.cwd,
    });
    const exited = new Promise<ExitStatus>((resolve, reject) => {
      child.once('error', (error) => {
        if (child.pid === undefined) reject(error);
      });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    return { pid: child.pid ?? null, exited };
  },
};
