/** Which launcher a worker starts its jobs with, and when. */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultLauncher, type Launcher } from '../../src/worker/launcher.js';
import { childProcessLauncher } from '../../src/worker/node-launcher.js';
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

describe.each(
  [childProcessLauncher, loadPosixSpawnLauncher()].filter((it): it is Launcher => it !== null),
)('$name: the environment', (launcher) => {
  /** What `sh` sees of the variables A, B and C when launched with `baseEnv` and `env`. */
  async function seen(
    baseEnv: Record<string, string | undefined> | undefined,
    env: Record<string, string | undefined>,
  ): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-launcher-'));
    const out = openSync(join(dir, 'out'), 'w+');
    try {
      const launched = launcher.launch({
        file: '/bin/sh',
        args: [
          '-c',
          'printf "%s|%s|%s|%s" "${A-unset}" "${B-unset}" "${C-unset}" "$(env | grep -c "^A=")"',
        ],
        baseEnv,
        env,
        stdout: out,
        stderr: devNull,
      });
      expect((await launched.exited).code).toBe(0);
      return readFileSync(join(dir, 'out'), 'utf8');
    } finally {
      closeSync(out);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('is the base with the launch’s own variables added, the same base reused for many launches', async () => {
    const base = Object.freeze({ A: 'base-a', B: 'base-b', D: undefined });
    expect(await seen(base, { C: 'c-1' })).toBe('base-a|base-b|c-1|1');
    expect(await seen(base, { C: 'c-2' })).toBe('base-a|base-b|c-2|1');
  });

  it('lets a launch’s variable win over the base’s of the same name, once in the block', async () => {
    const base = Object.freeze({ A: 'base-a', B: 'base-b' });
    expect(await seen(base, { C: 'c' })).toBe('base-a|base-b|c|1');
    // The same base object, now with a name it also holds: the value given wins, and A is there once.
    expect(await seen(base, { A: 'mine' })).toBe('mine|base-b|unset|1');
    expect(await seen(base, { A: undefined })).toBe('unset|base-b|unset|0');
  });

  it('without a base is the launch’s variables alone', async () => {
    expect(await seen(undefined, { B: 'only' })).toBe('unset|only|unset|0');
  });
});
