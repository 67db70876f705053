/** Bad input: one clear line on stderr, exit code 2, and no change to stored state. */
import { describe, expect, it } from 'vitest';
import { sandbox } from '../helpers/cli-sandbox.js';
import { runCli } from '../helpers/run-cli.js';

const cases: [string, string[], RegExp][] = [
  ['not JSON', ['enqueue', '{command: echo}'], /invalid JSON/],
  ['missing command', ['enqueue', '{"id":"x"}'], /missing field "command"/],
  ['command of the wrong type', ['enqueue', '{"command":["ls"]}'], /command must be a string/],
  [
    'retries of the wrong type',
    ['enqueue', '{"command":"ls","max_retries":"two"}'],
    /max_retries must be a whole number/,
  ],
  [
    'duplicate id',
    ['enqueue', '{"id":"existing","command":"echo again"}'],
    /a job with id "existing" already exists/,
  ],
  [
    'duplicate id inside a batch',
    ['enqueue', '[{"id":"n1","command":"a"},{"id":"n1","command":"b"}]'],
    /item 2: a job with id "n1" already exists/,
  ],
  [
    'unknown field',
    ['enqueue', '{"command":"ls","priorty":3}'],
    /unknown field "priorty" \(did you mean "priority"\?\)/,
  ],
  ['unknown state', ['list', '--state', 'finished'], /unknown state "finished"/],
  [
    'unknown config key',
    ['config', 'set', 'max-retry', '3'],
    /unknown config key "max-retry" \(did you mean "max-retries"\?\)/,
  ],
  ['bad config value', ['config', 'set', 'max-retries', '-2'], /bad value "-2" for max-retries/],
  [
    'a config value past its upper bound',
    ['config', 'set', 'output-limit', `1${'0'.repeat(300)}GiB`],
    /output-limit: must be a size from 1KiB to 1GiB/,
  ],
  [
    'a grace period past its upper bound',
    ['config', 'set', 'kill-grace', '30d'],
    /kill-grace: must be a duration from 0ms to 1h/,
  ],
  [
    'a --timeout past the limit',
    ['enqueue', '-c', 'true', '--timeout', '366d'],
    /--timeout must be a duration from 1ms to 365d, not "366d"/,
  ],
  ['retry of a job that is not dead', ['dlq', 'retry', 'existing'], /is pending, not dead/],
  ['show of an unknown job', ['show', 'ghost'], /no job with id "ghost"/],
  ['an unknown command', ['enqueu', '{}'], /unknown command 'enqueu' \(Did you mean enqueue\?\)/],
  [
    'a misspelt option',
    ['worker', 'start', '--cont', '3'],
    /unknown option '--cont' \(Did you mean --count\?\)/,
  ],
  ['a missing argument', ['show'], /missing required argument 'id'/],
];

describe('bad input', () => {
  it.each(cases)(
    '%s: says what is wrong, exits 2 and changes nothing',
    async (_name, args, message) => {
      const s = sandbox();
      expect((await s.run(['enqueue', '{"id":"existing","command":"echo first"}'])).code).toBe(0);
      expect((await s.run(['config', 'set', 'max-retries', '4'])).code).toBe(0);
      const before = s.dump();

      const result = await s.run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1); // one line, no stack trace
      expect(result.stdout).toBe('');
      expect(s.dump()).toBe(before);
    },
  );

  it('an unknown QUEUECTL_LAUNCHER: worker start says what is wrong, exits 2 and starts nothing', async () => {
    const s = sandbox();
    expect((await s.run(['enqueue', '{"id":"waiting","command":"true"}'])).code).toBe(0);
    const before = s.dump();
    const result = await runCli({ ...s.env, env: { QUEUECTL_LAUNCHER: 'fork' } }, [
      'worker',
      'start',
      '--drain',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^queuectl: QUEUECTL_LAUNCHER must be posix_spawn or child_process \(or unset\), not "fork"\n$/,
    );
    expect(s.dump()).toBe(before);
  });

  it('dlq retry with one bad id among dead ones moves none of them and says so', async () => {
    const s = sandbox();
    for (const id of ['dead1', 'dead2']) {
      const spec = JSON.stringify({ id, command: 'exit 1', max_retries: 0 });
      expect((await s.run(['enqueue', spec])).code).toBe(0);
    }
    expect((await s.run(['worker', 'start', '--drain', '--quiet'])).code).toBe(0);
    expect((await s.run(['enqueue', '{"id":"waiting","command":"true"}'])).code).toBe(0);
    const before = s.dump();
    for (const [ids, message] of [
      [['dead1', 'nosuch', 'dead2'], /no job with id "nosuch".*; nothing was retried$/],
      [['dead1', 'waiting'], /job "waiting" is pending, not dead.*; nothing was retried$/],
      [['dead1', '../x'], /job id "\.\.\/x" may only hold/],
    ] as const) {
      const result = await s.run(['dlq', 'retry', ...ids]);
      expect(result.code, ids.join(' ')).toBe(2);
      expect(result.stderr.trimEnd()).toMatch(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(s.dump()).toBe(before);
    }
    const retried = await s.run(['dlq', 'retry', 'dead1', 'dead2', 'dead1']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.trim().split('\n')).toEqual([
      'dead1: moved back to pending (attempts reset; last error kept)',
      'dead2: moved back to pending (attempts reset; last error kept)',
    ]);
  });
});
