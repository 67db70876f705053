/**
 * Scenario 7: malformed input across the CLI. Each case exits 2 with exactly one line on stderr
 * naming the problem, prints nothing on stdout, and leaves the database's content unchanged.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { collect, runCli, type CliResult } from '../helpers/run-cli.js';
import { dumpDatabase } from './helpers/database.js';
import { faultEnv, reapEnvironment, startCliInShell } from './helpers/fault-env.js';
import { figure } from './helpers/figures.js';

const env = faultEnv('bad-input');

interface Case {
  name: string;
  args: string[];
  /** Written to a file whose path replaces FILE in args. */
  file?: string | Buffer;
  stdin?: string;
  /** The argument's raw bytes, as printf %b escapes, appended to args by a shell (not UTF-8). */
  rawArg?: string;
  message: RegExp;
}

const job = (fields: Record<string, unknown>) => JSON.stringify({ command: 'echo hi', ...fields });
const enqueue = (json: string, message: RegExp, name: string): Case => ({
  name,
  args: ['enqueue', json],
  message,
});

const CASES: Case[] = [
  enqueue('{"command": "echo hi"', /invalid JSON/, 'truncated JSON'),
  enqueue('command: echo hi', /is not a JSON job; .* -c "command: echo hi"/, 'not JSON at all'),
  enqueue("{'command': 'echo hi'}", /invalid JSON/, 'single-quoted JSON'),
  enqueue('null', /must be a JSON object/, 'null instead of an object'),
  enqueue('[]', /array of jobs is empty/, 'an empty array'),
  enqueue('[1]', /item 1: a job must be a JSON object/, 'an array of numbers'),
  enqueue('{}', /missing field "command"/, 'no command'),
  enqueue(job({ command: 42 }), /command must be a string/, 'a numeric command'),
  enqueue(job({ command: ' \t ' }), /command must not be empty/, 'a blank command'),
  enqueue(job({ command: 'echo \u0000 hi' }), /NUL byte/, 'a NUL byte in the command'),
  enqueue(
    job({ command: 'x'.repeat(64 * 1024 + 1) }),
    /longer than the limit/,
    'a command over 64 KiB',
  ),
  enqueue(job({ max_retries: -1 }), /max_retries must be a whole number/, 'negative retries'),
  enqueue(job({ max_retries: 1.5 }), /max_retries must be a whole number/, 'fractional retries'),
  enqueue(job({ max_retries: '3' }), /max_retries must be a whole number/, 'retries as a string'),
  enqueue('{"command":"x","priority":1e400}', /priority must be a whole number/, 'a huge priority'),
  enqueue(job({ priority: 2 ** 53 }), /priority must be a whole number/, 'priority past the limit'),
  enqueue(job({ timeout_seconds: -5 }), /timeout_seconds must be/, 'a negative timeout'),
  enqueue(job({ timeout_seconds: 1e-300 }), /timeout_seconds must be/, 'a vanishing timeout'),
  enqueue(
    job({ run_at: 'tomorrow' }),
    /run_at "tomorrow" is not a date and time/,
    'run_at in words',
  ),
  enqueue(
    job({ run_at: '2026-05-01T09:30' + ':00+25:00' }),
    /not a real date and time/,
    'run_at with an offset of 25 hours',
  ),
  enqueue(job({ run_at: '2026-02-30T10:00:00Z' }), /not a real date/, 'run_at on February 30'),
  enqueue(job({ run_at: 1767225600000 }), /run_at must be a string/, 'run_at as a number'),
  enqueue(
    job({ run_at: '2026-05-01T09:30:00Z', delay: '5m' }),
    /either run_at or delay/,
    'run_at and delay',
  ),
  enqueue(job({ delay: '-5m' }), /not a duration/, 'a negative delay'),
  enqueue(job({ delay: '99999d' }), /too large/, 'a delay past ten years'),
  enqueue(job({ retries: 3 }), /unknown field "retries"/, 'an unknown field'),
  enqueue(
    '{"command":"x","__proto__":{"id":"pwned"}}',
    /unknown field "__proto__"/,
    'a __proto__ key',
  ),
  enqueue(job({ constructor: 'x' }), /unknown field "constructor"/, 'a constructor key'),
  enqueue(job({ id: 'a/b' }), /id "a\/b" may only hold/, 'an id with a slash'),
  enqueue(job({ id: 'a..b' }), /may not contain "\.\."/, 'an id with ..'),
  enqueue(job({ id: '..' }), /may only hold/, 'the id ..'),
  enqueue(job({ id: 'has space' }), /may only hold/, 'an id with a space'),
  enqueue(job({ id: 'x'.repeat(129) }), /1 to 128 characters/, 'an id over 128 characters'),
  enqueue(job({ id: 7 }), /id must be a string/, 'a numeric id'),
  enqueue(job({ id: 'existing' }), /"existing" already exists/, 'an id that exists'),
  enqueue(
    `[${job({ id: 'fresh-1' })},${job({ command: 1 })}]`,
    /item 2: command must be a string/,
    'a batch with one bad job',
  ),
  enqueue(
    `[${job({ id: 'twin' })},${job({ id: 'twin' })}]`,
    /"twin" already exists/,
    'a batch with a repeated id',
  ),
  { name: 'no job given', args: ['enqueue'], message: /give exactly one of/ },
  { name: 'JSON and -c both', args: ['enqueue', job({}), '-c', 'true'], message: /exactly one of/ },
  {
    name: '--priority with JSON',
    args: ['enqueue', job({}), '--priority', '3'],
    message: /go with -c/,
  },
  {
    name: 'a non-numeric --priority',
    args: ['enqueue', '-c', 'true', '--priority', 'high'],
    message: /--priority must be a whole number/,
  },
  {
    name: 'a bad --timeout',
    args: ['enqueue', '-c', 'true', '--timeout', 'soon'],
    message: /not a duration/,
  },
  {
    name: 'a missing --file',
    args: ['enqueue', '--file', '/nonexistent/jobs.ndjson'],
    message: /no such file/,
  },
  {
    name: 'an empty --file',
    args: ['enqueue', '--file', 'FILE'],
    file: '\n\n',
    message: /holds no jobs/,
  },
  {
    name: 'a bad line in NDJSON',
    args: ['enqueue', '--file', 'FILE'],
    file: `${job({ id: 'nd-1' })}\n${job({ id: 'nd-2' })}\n{"command":\n`,
    message: /line 3: invalid JSON/,
  },
  {
    name: 'invalid UTF-8 in --file',
    args: ['enqueue', '--file', 'FILE'],
    file: Buffer.concat([
      Buffer.from('{"command":"echo '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}\n'),
    ]),
    message: /not valid UTF-8/,
  },
  {
    name: 'a line over the 1 MiB limit',
    args: ['enqueue', '--file', 'FILE'],
    file: `${job({ id: 'big-1' })}\n${job({ id: 'big-2', command: 'x'.repeat(1024 * 1024) })}\n`,
    message: /line 2 is longer than/,
  },
  {
    name: 'a bad job on stdin',
    args: ['enqueue', '--file', '-'],
    stdin: `${job({ id: 'in-1' })}\n${job({ id: 'in-2', max_retries: -3 })}\n`,
    message: /line 2: max_retries/,
  },
  {
    name: 'invalid UTF-8 in the JSON argument',
    args: ['enqueue'],
    rawArg: '{"command":"echo \\0377"}',
    message: /not valid UTF-8/,
  },
  {
    name: 'invalid UTF-8 in -c',
    args: ['enqueue', '-c'],
    rawArg: 'echo \\0300\\0200',
    message: /not valid UTF-8/,
  },
  {
    name: 'config set of an unknown key',
    args: ['config', 'set', 'retries', '3'],
    message: /unknown config key "retries"/,
  },
  {
    name: 'config set of a negative count',
    args: ['config', 'set', 'max-retries', '-1'],
    message: /bad value "-1" for max-retries/,
  },
  {
    name: 'config set of a fractional count',
    args: ['config', 'set', 'max-retries', '2.5'],
    message: /bad value "2.5"/,
  },
  {
    name: 'config set of a bad duration',
    args: ['config', 'set', 'lease-timeout', 'soon'],
    message: /not a duration/,
  },
  {
    name: 'config set of a too-short lease',
    args: ['config', 'set', 'lease-timeout', '100ms'],
    message: /must be a duration from 1s to 7d/,
  },
  {
    name: 'config set of a bad size',
    args: ['config', 'set', 'output-limit', '1e9'],
    message: /not a size/,
  },
  {
    name: 'config set of a tiny size',
    args: ['config', 'set', 'output-limit', '10'],
    message: /must be a size from 1KiB to 1GiB/,
  },
  {
    name: 'config set of a size past the upper bound',
    args: ['config', 'set', 'output-limit', `1${'0'.repeat(300)}GiB`],
    message: /must be a size from 1KiB to 1GiB/,
  },
  {
    name: 'config set of a grace period past the upper bound',
    args: ['config', 'set', 'kill-grace', '30d'],
    message: /must be a duration from 0ms to 1h/,
  },
  {
    name: 'config set of a poll interval past the upper bound',
    args: ['config', 'set', 'poll-interval', '30d'],
    message: /must be a duration from 10ms to 1h/,
  },
  {
    name: 'config set of a bad backoff base',
    args: ['config', 'set', 'backoff-base', 'NaN'],
    message: /must be a number/,
  },
  {
    name: 'dlq retry of an unknown job',
    args: ['dlq', 'retry', 'nope'],
    message: /no job with id "nope"/,
  },
  {
    name: 'dlq retry of a pending job',
    args: ['dlq', 'retry', 'existing'],
    message: /is pending, not dead/,
  },
  {
    name: 'dlq retry of a path',
    args: ['dlq', 'retry', '../etc/passwd'],
    message: /may only hold/,
  },
  {
    name: 'list of an unknown state',
    args: ['list', '--state', 'done'],
    message: /unknown state "done"/,
  },
  {
    name: 'list with limit 0',
    args: ['list', '--limit', '0'],
    message: /limit must be a whole number/,
  },
  {
    name: 'list with a word limit',
    args: ['list', '--limit', 'all'],
    message: /--limit must be a whole number/,
  },
  {
    name: 'list with a huge limit',
    args: ['list', '--limit', '99999999999'],
    message: /limit must be a whole number/,
  },
  {
    name: 'list before an unknown job',
    args: ['list', '--before', 'nope'],
    message: /no job with id "nope"/,
  },
  { name: 'logs of an unknown job', args: ['logs', 'nope'], message: /no job with id "nope"/ },
  { name: 'logs of a path', args: ['logs', '../../etc/passwd'], message: /may only hold/ },
  {
    name: 'logs of an attempt that never ran',
    args: ['logs', 'ran', '--attempt', '9'],
    message: /has no attempt 9/,
  },
  {
    name: 'logs of a word attempt',
    args: ['logs', 'ran', '--attempt', 'last'],
    message: /--attempt must be a whole number from 1 to 1000000000, not "last"/,
  },
  {
    name: 'logs of a job that has not run',
    args: ['logs', 'existing'],
    message: /has not run yet/,
  },
  { name: 'show of an unknown job', args: ['show', 'nope'], message: /no job with id "nope"/ },
  { name: 'show of an empty id', args: ['show', ''], message: /1 to 128 characters/ },
  {
    name: 'show of an id with a tab',
    args: ['show', 'a\tb'],
    message: /may only hold/,
  },
];

/** Runs the CLI with one argument built from raw bytes by the shell, so it reaches Node as-is. */
function runWithRawArg(args: string[], raw: string): Promise<CliResult> {
  return collect(startCliInShell(env, args, { raw }));
}

beforeAll(async () => {
  const ran = await runCli(env, ['enqueue', job({ id: 'ran' })]);
  expect(ran.code, ran.stderr).toBe(0);
  const drained = await runCli(env, ['worker', 'start', '--drain', '--quiet']);
  expect(drained.code, drained.stderr).toBe(0);
  const more = await runCli(env, [
    'enqueue',
    `[${job({ id: 'existing' })},${job({ id: 'other' })}]`,
  ]);
  expect(more.code, more.stderr).toBe(0);
  expect((await runCli(env, ['config', 'set', 'max-retries', '5'])).code).toBe(0);
});

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

test(`each of ${CASES.length} malformed inputs exits 2 with one line naming the problem and changes nothing`, async () => {
  expect(CASES.length).toBeGreaterThanOrEqual(30);
  const before = dumpDatabase(env.db);
  const wrong: string[] = [];
  for (const [index, c] of CASES.entries()) {
    const file = join(env.dir, 'work', `case-${index}`);
    if (c.file !== undefined) writeFileSync(file, c.file);
    const args = c.args.map((arg) => (arg === 'FILE' ? file : arg));
    const result =
      c.rawArg !== undefined
        ? await runWithRawArg(args, c.rawArg)
        : await runCli(env, args, c.stdin);
    const problems: string[] = [];
    if (result.code !== 2) problems.push(`exit ${result.code}`);
    if (result.stdout !== '') problems.push(`stdout ${JSON.stringify(result.stdout.slice(0, 80))}`);
    if (!/^queuectl: [^\n]+\n$/.test(result.stderr))
      problems.push(`stderr ${JSON.stringify(result.stderr.slice(0, 200))}`);
    else if (!c.message.test(result.stderr))
      problems.push(`message ${JSON.stringify(result.stderr.trim())}`);
    if (dumpDatabase(env.db) !== before) problems.push('the database changed');
    if (problems.length) wrong.push(`${c.name}: ${problems.join('; ')}`);
  }
  figure(
    `bad input: ${CASES.length} malformed inputs, ${CASES.length - wrong.length} refused cleanly with the database unchanged`,
  );
  expect(wrong).toEqual([]);
});
