/**
 * `queuectl top` in a real terminal (tmux): what it shows, that a change made by another process
 * appears within a couple of seconds (the store's change subscription; the safety poll is 10 s),
 * that it fits and follows the terminal's size, and that the terminal is restored on the way out.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../helpers/cli-sandbox.js';
import { waitFor } from '../helpers/wait-for.js';
import { openTerminal, type Terminal } from './terminal.js';

const screen = (t: Terminal) => t.lines().join('\n');

async function withDeadAndCompleted(s: Sandbox): Promise<void> {
  await s.run(['enqueue', '{"id":"bad","command":"echo oops >&2; exit 3","max_retries":0}']);
  await s.run(['enqueue', '{"id":"fine","command":"true"}']);
  expect((await s.run(['worker', 'start', '--drain', '--quiet'])).code).toBe(0);
}

function expectRestored(t: Terminal): void {
  expect(t.pane('#{alternate_on}')).toBe('0');
  expect(t.pane('#{cursor_flag}')).toBe('1');
  expect(screen(t)).not.toContain('queuectl top');
}

describe('queuectl top', () => {
  it('shows counts, throughput, failures and workers, and redraws within seconds of a change elsewhere', async () => {
    const s = sandbox();
    await withDeadAndCompleted(s);
    const t = openTerminal(s.env, ['top']);
    await t.waitFor(/pending 0 +processing 0 +completed 1 +failed 0 +dead 1 +cancelled 0 +total 2/);
    expect(t.pane('#{alternate_on}')).toBe('1');
    expect(t.pane('#{cursor_flag}')).toBe('0');
    expect(screen(t)).toMatch(/^last minute: 1 completed, 1 failed/m);
    expect(screen(t)).toMatch(/^bad +dead +\S+ ago +1\/1 +exited with code 3: oops$/m);
    expect(screen(t)).toMatch(/^no active workers/m);

    // Another process enqueues: the count changes well before the safety poll could show it.
    await s.run(['enqueue', '{"id":"slow","command":"sleep 2.5"}']);
    await t.waitFor(/pending 1 +processing 0/, undefined, 2500);

    // A worker picks it up: the worker, its job and how long the job has run.
    s.start(['worker', 'start', '--quiet']);
    const running = async () =>
      Number(
        (await t.waitFor(/^w-\S+ +\S+ +\d+ +slow +([\d.]+)s$/m)).match(/slow +([\d.]+)s$/m)![1],
      );
    await t.waitFor(/processing 1/, undefined, 2500);
    const first = await running();
    await waitFor(async () => (await running()) > first, { what: 'the run time to grow' });
    await t.waitFor(/completed 2/, undefined, 5000);
    expect((await s.run(['worker', 'stop'])).code).toBe(0);

    await t.step(['q'], /^\[exit 0\]$/);
    expectRestored(t);
  });

  it('fits the terminal and redraws on resize, down to 20x10', async () => {
    const s = sandbox();
    for (let i = 0; i < 12; i++) {
      await s.run(['enqueue', `{"id":"dead-${i}","command":"exit 1","max_retries":0}`]);
    }
    expect((await s.run(['worker', 'start', '--drain', '--quiet', '--count', '2'])).code).toBe(0);
    const t = openTerminal(s.env, ['top'], { columns: 120, rows: 40 });
    await t.waitFor(/dead 12/);
    expect(t.lines()[0]).toMatch(/^queuectl top {2}\S+ +\d\d:\d\d:\d\d {2}q quits$/);
    expect(t.lines()[0]).toHaveLength(120);
    expect(screen(t).match(/^dead-\d+ +dead/gm)).toHaveLength(12);

    t.resize(20, 10);
    await t.waitFor(/^LATEST FAILURES$/m);
    const small = t.lines();
    expect(small).toHaveLength(10);
    // Nothing wrapped or scrolled: the title is still on the first row, every line fits.
    expect(small[0]).toBe('queuectl top');
    expect(small.slice(1, 8)).toEqual([
      'pending 0',
      'processing 0',
      'completed 0',
      'failed 0   dead 12',
      'cancelled 0',
      'total 12',
      'last minute: 0 comp…',
    ]);
    expect(small.every((line) => line.length <= 20)).toBe(true);

    t.resize(70, 16);
    await t.waitFor(/^queuectl top .* q quits$/m);
    const medium = t.lines();
    expect(medium).toHaveLength(16);
    expect(medium[0]).toHaveLength(70);
    expect(medium[1]).toBe('pending 0   processing 0   completed 0   failed 0   dead 12');
    expect(medium[2]).toBe('cancelled 0   total 12');
    expect(medium.at(-1)).toMatch(/^… \d+ more$/);

    await t.step(['q'], /^\[exit 0\]$/);
    expectRestored(t);
  });

  it('Ctrl+C and SIGTERM end it with the terminal restored', async () => {
    const s = sandbox();
    const a = openTerminal(s.env, ['top']);
    await a.waitFor(/pending 0/);
    await a.step(['C-c'], /^\[exit 0\]$/);
    expectRestored(a);

    const b = openTerminal(s.env, ['top']);
    await b.waitFor(/pending 0/);
    process.kill(b.cliPid(), 'SIGTERM');
    await b.waitFor(/^\[exit \d+\]$/m);
    expectRestored(b);
  });

  it('keeps running when reads fail, says so, and still quits cleanly', async () => {
    const s = sandbox();
    await withDeadAndCompleted(s);
    const t = openTerminal(s.env, ['top']);
    await t.waitFor(/dead 1/);
    const db = new Database(s.db);
    db.exec('DROP TABLE attempts');
    db.close();
    await t.waitFor(/^! .*attempts.* \(retrying\)$/m, undefined, 5000);
    expect(screen(t)).toMatch(/dead 1/); // the last good data stays
    await t.step(['q'], /^\[exit 0\]$/);
    expectRestored(t);
  });

  it('an unreachable database: one line, exit 1, the screen untouched', async () => {
    const s = sandbox();
    const t = openTerminal({ ...s.env, db: 'postgres://nobody@127.0.0.1:1/none' }, ['top']);
    await t.waitFor(/\[exit 1\]/);
    expect(t.lines().filter(Boolean)[0]).toMatch(/^queuectl: /);
    expectRestored(t);
  });

  it('refuses --json and a missing terminal with one line, exit 2', async () => {
    const s = sandbox();
    const json = await s.run(['top', '--json']);
    expect(json).toMatchObject({ code: 2, stdout: '' });
    expect(json.stderr).toMatch(
      /^queuectl: top is a live view and has no --json; .*status --json.*\n$/,
    );
    const piped = await s.run(['top']);
    expect(piped).toMatchObject({ code: 2, stdout: '' });
    expect(piped.stderr).toMatch(/^queuectl: top needs a terminal[^\n]*\n$/);
  });
});
