import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { parseJobSpec } from '../../src/core/job-spec.js';

const defaults = { maxRetries: 3, now: Date.UTC(2026, 0, 1) };
const parse = (value: unknown) => parseJobSpec(value, defaults);
const rejects = (value: unknown, message: RegExp) => {
  expect(() => parse(value)).toThrow(ValidationError);
  expect(() => parse(value)).toThrow(message);
};

describe('job spec validation', () => {
  it('fills in defaults and generates a short unique id when none is given', () => {
    const a = parse({ command: 'echo hi' });
    const b = parse({ command: 'echo hi' });
    expect(a).toMatchObject({
      command: 'echo hi',
      max_retries: 3,
      priority: 0,
      timeout_seconds: null,
      run_at: null,
    });
    expect(a.id).toMatch(/^[0-9a-z]{12}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('accepts every documented field', () => {
    expect(
      parse({
        id: 'build-1',
        command: 'make',
        max_retries: 0,
        priority: -5,
        timeout_seconds: 2.5,
        run_at: '2026-05-01T11:30:00+02:00',
        cwd: '/srv/app',
        env: { NODE_ENV: 'production', EMPTY: '' },
        queue: 'builds',
        after: ['fetch', 'lint', 'fetch'],
        unique_key: 'build main ✓',
      }),
    ).toEqual({
      id: 'build-1',
      command: 'make',
      max_retries: 0,
      priority: -5,
      timeout_seconds: 2.5,
      run_at: Date.UTC(2026, 4, 1, 9, 30),
      cwd: '/srv/app',
      env: { inherit: true, vars: { NODE_ENV: 'production', EMPTY: '' } },
      queue: 'builds',
      after: ['fetch', 'lint'],
      unique_key: 'build main ✓',
    });
  });

  it('puts a job in the default queue, or the one its caller names, unless it names its own', () => {
    expect(parse({ command: 'x' })).toMatchObject({
      queue: 'default',
      after: [],
      unique_key: null,
    });
    const named = { ...defaults, queue: 'emails' };
    expect(parseJobSpec({ command: 'x' }, named).queue).toBe('emails');
    expect(parseJobSpec({ command: 'x', queue: 'own' }, named).queue).toBe('own');
  });

  it('refuses queue names that break the id rules, at the limits too', () => {
    expect(parse({ command: 'x', queue: 'q'.repeat(128) }).queue).toHaveLength(128);
    rejects({ command: 'x', queue: 'q'.repeat(129) }, /queue must be 1 to 128 characters/);
    rejects({ command: 'x', queue: '' }, /queue must be 1 to 128 characters/);
    rejects({ command: 'x', queue: 'émails' }, /queue "émails" may only hold letters/);
    rejects({ command: 'x', queue: 'a b' }, /queue "a b" may only hold/);
    rejects({ command: 'x', queue: '../up' }, /queue "..\/up" may only hold/);
    rejects({ command: 'x', queue: 3 }, /queue must be a string/);
  });

  it('refuses dependencies that are not a list of job ids, or name the job itself', () => {
    rejects({ command: 'x', after: 'a' }, /after must be an array of job ids/);
    rejects({ command: 'x', after: ['ok', 'bad id'] }, /after "bad id" may only hold/);
    rejects({ id: 'me', command: 'x', after: ['me'] }, /job "me" cannot be enqueued after itself/);
    rejects(
      { command: 'x', after: Array.from({ length: 1001 }, (_, i) => `j${i}`) },
      /a job can wait for at most 1000/,
    );
  });

  it('refuses unique keys that are empty, not text, hold control characters or are too long', () => {
    expect(parse({ command: 'x', unique_key: 'k'.repeat(1024) }).unique_key).toHaveLength(1024);
    rejects(
      { command: 'x', unique_key: 'k'.repeat(1025) },
      /unique_key is 1025 bytes; the limit is 1024/,
    );
    rejects({ command: 'x', unique_key: 'é'.repeat(600) }, /unique_key is 1200 bytes/);
    rejects({ command: 'x', unique_key: 'x'.repeat(1024 * 1024) }, /the limit is 1024/);
    rejects({ command: 'x', unique_key: '' }, /unique_key must not be empty/);
    rejects({ command: 'x', unique_key: 'a\u0000b' }, /control characters/);
    rejects({ command: 'x', unique_key: 7 }, /unique_key must be a string, not 7/);
  });

  it("records the caller's directory and environment, the spec's own over them", () => {
    const env = { inherit: false, vars: { PATH: '/bin', A: 'recorded' } };
    const recorded = { ...defaults, cwd: '/home/me/project', env };
    const plain = parseJobSpec({ command: 'x' }, recorded);
    expect(plain).toMatchObject({ cwd: '/home/me/project' });
    // The very same object for every job without env of its own: stored once, encoded once.
    expect(plain.env).toBe(env);
    expect(parseJobSpec({ command: 'x', cwd: '/tmp', env: { A: 'mine' } }, recorded)).toMatchObject(
      {
        cwd: '/tmp',
        env: { inherit: false, vars: { PATH: '/bin', A: 'mine' } },
      },
    );
    expect(parse({ command: 'x' })).toMatchObject({ cwd: null, env: null });
    // A name like any other once it is a JSON key: an own property, never a prototype.
    const odd = parse(JSON.parse('{"command":"x","env":{"__proto__":"v"}}'));
    expect(Object.keys(odd.env!.vars)).toEqual(['__proto__']);
  });

  it('turns a delay into a start time relative to the injected clock', () => {
    expect(parse({ command: 'x', delay: '5m' }).run_at).toBe(defaults.now + 300_000);
    expect(parse({ command: 'x', delay: '2h' }).run_at).toBe(defaults.now + 7_200_000);
  });

  it('names an unknown field and suggests the closest known one', () => {
    rejects(
      { command: 'x', max_retry: 2 },
      /unknown field "max_retry" \(did you mean "max_retries"\?\)/,
    );
    rejects({ command: 'x', ['__proto__']: 1 }, /unknown field/);
    rejects(JSON.parse('{"command":"x","__proto__":{"a":1}}'), /unknown field "__proto__"/);
  });

  it('explains what is wrong with the command', () => {
    rejects({}, /missing field "command"/);
    rejects({ command: 42 }, /command must be a string, not 42/);
    rejects({ command: '   ' }, /must not be empty/);
    rejects({ command: 'a\u0000b' }, /NUL byte/);
    rejects({ command: 'x'.repeat(70_000) }, /longer than the limit/);
    rejects([{ command: 'x' }], /must be a JSON object/);
    rejects('echo', /must be a JSON object/);
  });

  it('refuses ids that are unsafe as file names or too long', () => {
    for (const id of ['a/b', '../x', 'a..b', 'has space', '', '-lead', 'x'.repeat(129), 7]) {
      expect(() => parse({ command: 'x', id }), String(id)).toThrow(ValidationError);
    }
  });

  it('refuses retries and priorities that are not whole numbers in range', () => {
    rejects(
      { command: 'x', max_retries: -1 },
      /max_retries must be a whole number from 0 to 1000, not -1/,
    );
    rejects({ command: 'x', max_retries: 1.5 }, /max_retries/);
    rejects({ command: 'x', max_retries: '3' }, /max_retries .* not "3"/);
    rejects({ command: 'x', max_retries: 1e300 }, /max_retries/);
    rejects({ command: 'x', priority: 2_000_000 }, /priority/);
  });

  it('refuses timestamps it cannot read, with an example of the right form', () => {
    rejects({ command: 'x', run_at: '2026-05-01' }, /use a form like 2026-05-01T09:30:00Z/);
    rejects({ command: 'x', run_at: 'tomorrow' }, /not a date and time/);
    rejects(
      { command: 'x', run_at: '2026-05-01T09:30:00Z', delay: '5m' },
      /either run_at or delay/,
    );
    rejects({ command: 'x', delay: 'soon' }, /use a form like 30s/);
    rejects(
      { command: 'x', timeout_seconds: 0 },
      /timeout_seconds must be a number of seconds from 0.001 to 31536000, not 0/,
    );
  });
});
