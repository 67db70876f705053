/** The fast path of a plain `worker start`: what it takes, and what it leaves to the full program. */
import { describe, expect, it } from 'vitest';
import { parseFastWorkerStart } from '../../src/cli/fast-worker-start.js';
import { sandbox } from '../helpers/cli-sandbox.js';

describe('parseFastWorkerStart', () => {
  it('takes worker start (or worker alone) with its plain options, values parsed as the full program does', () => {
    expect(parseFastWorkerStart(['worker'])).toEqual({ db: undefined, options: {} });
    expect(parseFastWorkerStart(['--db', 'q.db', 'worker', 'start', '--count', '2'])).toEqual({
      db: 'q.db',
      options: { count: 2 },
    });
    expect(
      parseFastWorkerStart([
        'worker',
        '-c',
        '3',
        '-j',
        '8',
        '--drain',
        '-q',
        '-v',
        '-l',
        '5',
        '-s',
        '500ms',
        '--queue',
        'a,b',
        '--db=x.db',
      ]),
    ).toEqual({
      db: 'x.db',
      options: {
        count: 3,
        concurrency: 8,
        drain: true,
        quiet: true,
        verbose: true,
        maxJobs: 5,
        pollInterval: 500,
        queue: ['a', 'b'],
      },
    });
    // As commander: the last of a repeated option counts.
    expect(parseFastWorkerStart(['worker', '-n', '1', '--count', '4'])?.options).toEqual({
      count: 4,
    });
  });

  it('leaves every other command line to the full program', () => {
    for (const args of [
      [],
      ['enqueue', '{}'],
      ['worker', 'stop'],
      ['worker', 'start', 'extra'],
      ['worker', '--detach'],
      ['worker', '--stop'],
      ['worker', '--help'],
      ['worker', '-h'],
      ['worker', '--count=2'],
      ['worker', '-qv'],
      ['worker', '--bogus'],
      ['worker', '--count'],
      ['worker', '--db'],
      ['worker', '--', '--count', '2'],
      // Values the parser refuses: the full program says what is wrong with them.
      ['worker', '--count', '0'],
      ['worker', '--count', '257'],
      ['worker', '--count', 'two'],
      ['worker', '--concurrency', '1.5'],
      ['worker', '-s', 'soon'],
      ['worker', '--queue', ''],
    ]) {
      expect(parseFastWorkerStart(args), args.join(' ')).toBeNull();
    }
  });

  it('a refused value still gets the full program’s one-line error and exit 2, changing nothing', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"a","command":"true"}']);
    const before = s.dump();
    const result = await s.run(['worker', 'start', '--count', '0', '--drain']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^queuectl: .*--count/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(s.dump()).toBe(before);
  });
});
