/** Which launcher a worker starts its jobs with, and when. */
import { closeSync, openSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultLauncher, type Launcher } from '../../src/worker/launcher.js';
import { loadPosixSpawnLauncher } from '../../src/worker/posix-spawn-launcher.js';

const devNull = openSync('/dev/null', 'w');
afterAll(() => closeSync(devNull));

async function runTrue(launcher: Launcher): Promise<number | null> {
  const launched = launcher.launch({
    file: '/bin/sh',
    args: ['-c', 'exit 7'],
    env: { PATH: process.env.PATH },
    stdout: devNull,
    stderr: devNull,
  });
  return (await launched.exited).code;
}

describe('defaultLauncher', () => {
  it('starts the first job through child_process, then every later one through the fastest launcher', async () => {
    delete process.env.QUEUECTL_LAUNCHER;
    const launcher = defaultLauncher();
    expect(launcher.name).toBe('child_process');
    expect(await runTrue(launcher)).toBe(7);
    // Bound just after the first launch, off that job's path.
    await new Promise((resolve) => setImmediate(resolve));
    const fastest = loadPosixSpawnLauncher()?.name ?? 'child_process';
    expect(launcher.name).toBe(fastest);
    expect(await runTrue(launcher)).toBe(7);
    expect(defaultLauncher()).toBe(launcher);
  });
});
