/**
 * The interactive menu in a real terminal (tmux), driving the built CLI as a user types.
 * Every step waits for what the screen shows; nothing sleeps a fixed time.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../helpers/cli-sandbox.js';
import type { JobJson, Shown } from '../helpers/json-shapes.js';
import { waitFor } from '../helpers/wait-for.js';
import { openTerminal, type Terminal } from './terminal.js';

/** The menu's question, asked anew. */
const MENU = /^\? Choose an action/m;
const screen = (t: Terminal) => t.lines().join('\n');

async function openMenu(s: Sandbox, args: string[] = []): Promise<Terminal> {
  const t = openTerminal(s.env, args);
  await t.waitFor(MENU);
  return t;
}

/** Types text into the current question and presses Enter; waits for a new line matching `then`. */
async function answer(t: Terminal, text: string, then: RegExp): Promise<void> {
  if (text) t.type(text);
  await t.step(['Enter'], then);
}

/** The pane's terminal settings as stty prints them. */
const ttyModes = (t: Terminal) =>
  execFileSync('stty', ['-a', '-F', t.pane('#{pane_tty}')], { encoding: 'utf8' });

const workers = async (s: Sandbox) =>
  (await s.json<{ workers: unknown[] }>(['status'])).workers.length;

describe('interactive menu', () => {
  it('enqueues a job through prompts, explains a bad max retries and asks again, shows the status, exits with 0', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    expect(screen(t)).toMatch(/1\) Show queue status[^]*9\) Set configuration[^]*0\) Exit/);
    await answer(t, '3', /^\? Job id \(Enter for a generated one\)/);
    await answer(t, 'job1', /^\? Command/);
    await answer(t, 'echo hi', /^\? Max retries \(Enter for the default, 3\)/);
    await answer(t, 'many', /max_retries must be a whole number from 0 to 1000, not "many"/);
    t.keys('C-u');
    await answer(t, '2', /^enqueued job1$/);
    const { job } = await s.json<Shown>(['show', 'job1']);
    expect(job).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await s.json<{ max_retries: number }[]>(['list']))[0]!.max_retries).toBe(2);

    await answer(t, '1', /^\? Press Enter to go back to the menu/);
    expect(screen(t)).toMatch(/pending +1\n.*\n.*\n.*\ndead +0/);
    await answer(t, '', MENU);
    await answer(t, '0', /^\[exit 0\]$/);
  });

  it('lists jobs by state through a sub-menu', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"d1","command":"exit 1","max_retries":0}']);
    await s.run(['enqueue', '{"id":"a1","command":"true"}']);
    await s.run(['worker', 'start', '--drain', '--quiet']);
    await s.run(['enqueue', '{"id":"p1","command":"true"}']);
    const t = await openMenu(s);
    await answer(t, '2', /^\? Which jobs\?/);
    expect(screen(t)).toMatch(
      /1\) all\n.*2\) pending\n.*3\) processing\n.*4\) completed\n.*5\) failed\n.*6\) dead/,
    );
    await answer(t, '6', /^\? Press Enter/);
    expect(screen(t)).toMatch(/^d1 +dead +1\/1 /m);
    expect(screen(t)).not.toMatch(/^(a1|p1) /m);
    await answer(t, '', MENU);
    await answer(t, '2', /^\? Which jobs\?/);
    await answer(t, '1', /^\? Press Enter/);
    expect(screen(t)).toMatch(/^p1 +pending[^]*^a1 +completed[^]*^d1 +dead/m);
  });

  it('retries a dead job from the dead letter queue, checking the id first', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"bad","command":"exit 1","max_retries":0}']);
    await s.run(['enqueue', '{"id":"fine","command":"true"}']);
    expect((await s.run(['worker', 'start', '--drain', '--quiet'])).code).toBe(0);
    const t = await openMenu(s);
    await answer(t, '6', /^\? Press Enter/);
    expect(screen(t)).toMatch(/^bad +dead +1\/1 .*exited with code 1$/m);
    await answer(t, '', MENU);

    await answer(t, '7', /^\? Id of the job to retry/);
    expect(screen(t)).toMatch(/^bad +dead/m);
    await answer(t, 'nosuch', /no job with id "nosuch"/);
    t.keys('C-u');
    await answer(t, 'fine', /job "fine" is completed, not dead/);
    expect((await s.json<Shown>(['show', 'fine'])).job.state).toBe('completed');
    t.keys('C-u');
    await answer(t, 'bad', /^bad: moved back to pending/);
    await t.waitFor(MENU);
    expect((await s.json<Shown>(['show', 'bad'])).job).toMatchObject({
      state: 'pending',
      attempts: 0,
    });
    await answer(t, '7', /^the dead letter queue is empty: nothing to retry$/);
  });

  it('sets a configuration value: shows the keys, explains a bad value and asks again', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    await answer(t, '9', /^\? Which setting\?/);
    expect(screen(t)).toMatch(
      /1\) max-retries = 3\n.*2\) backoff-base = 2\n[^]*poll-interval = 1s/,
    );
    await answer(t, '1', /^\? New value for max-retries/);
    expect(screen(t)).toMatch(/accepts a whole number from 0 to 1000; the default is 3/);
    await answer(t, '-5', /^> .*must be a whole number from 0 to 1000/);
    expect((await s.run(['config', 'get', 'max-retries'])).stdout).toBe('3\n');
    t.keys('C-u');
    await answer(t, '7', /^max-retries +7 +3 /);
    expect((await s.run(['config', 'get', 'max-retries'])).stdout).toBe('7\n');
    await answer(t, '8', /^\? Press Enter/);
    expect(screen(t)).toMatch(/^max-retries +7 +3 /m);
  });

  it('Ctrl+C or Ctrl+D in any question goes back to the menu and changes nothing; Ctrl+C in the menu exits', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    for (const interrupt of ['C-c', 'C-d']) {
      // Every question of every action, reached (typing into it if text is given) and cancelled.
      const id = ['3', /^\? Job id/] as const;
      const command = ['', /^\? Command/] as const;
      const setting = ['9', /^\? Which setting/] as const;
      const questions: { steps: (readonly [string, RegExp])[]; text?: string }[] = [
        { steps: [id], text: 'half-typed' },
        { steps: [id, command] },
        { steps: [id, command, ['echo never', /^\? Max retries/]], text: '1' },
        { steps: [['2', /^\? Which jobs/]] },
        { steps: [['4', /^\? How many workers/]] },
        {
          steps: [
            ['4', /^\? How many workers/],
            ['', /^\? How many jobs at once in each\?/],
          ],
        },
        { steps: [setting] },
        { steps: [setting, ['2', /^\? New value for backoff-base/]], text: '9' },
        { steps: [['1', /^\? Press Enter/]] },
      ];
      for (const { steps, text } of questions) {
        for (const [key, question] of steps) await answer(t, key, question);
        if (text) t.type(text);
        await t.step([interrupt], /^cancelled$/);
        await t.waitFor(MENU);
      }
      // Actions without a question come straight back.
      await answer(t, '5', /^no workers were running$/);
      await answer(t, '7', /^the dead letter queue is empty/);
      await t.waitFor(MENU);
    }
    expect(await s.json<JobJson[]>(['list'])).toEqual([]);
    expect((await s.run(['config', 'get', 'backoff-base'])).stdout).toBe('2\n');
    await t.step(['C-c'], /^\[exit 0\]$/);
  });

  it('SIGTERM while a question is open ends the menu with the terminal back in its normal mode', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    await answer(t, '3', /^\? Job id/);
    expect(ttyModes(t)).toMatch(/(^| )-icanon( |$)/m); // the prompt reads keys raw
    process.kill(t.cliPid(), 'SIGTERM');
    await t.waitFor(/^\[exit 0\]$/m);
    expect(ttyModes(t)).toMatch(/(^| )icanon( |$)/m);
    expect(ttyModes(t)).toMatch(/(^| )isig( |$)/m);
  });

  it('starts workers in the foreground; Ctrl+C stops them gracefully and brings the menu back', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"w1","command":"true"}']);
    const t = await openMenu(s);
    await answer(t, '4', /^\? How many workers\? \(Enter for 1\)/);
    await answer(t, '0', /must be a whole number from 1 to 256/);
    t.keys('C-u');
    await answer(t, '2', /^\? How many jobs at once in each\? \(Enter for 1\)/);
    await answer(t, '3', /^started 2 workers × 3 jobs at once/);
    await t.waitFor(/w1: completed/);
    await s.run(['enqueue', '{"id":"w2","command":"true"}']);
    await t.waitFor(/w2: completed/);
    expect(await workers(s)).toBe(2);
    await t.step(['C-c'], /^all workers stopped$/);
    await t.waitFor(MENU);
    expect(await workers(s)).toBe(0);
    // The menu works as before after the workers' Ctrl+C.
    await answer(t, '5', /^no workers were running$/);
    await answer(t, '0', /^\[exit 0\]$/);
  });

  it('stops workers started elsewhere', async () => {
    const s = sandbox();
    const worker = s.start(['worker', 'start', '--count', '1']);
    await waitFor(async () => (await workers(s)) === 1, { what: 'a worker' });
    const t = await openMenu(s);
    await answer(t, '5', /^stopped 1 worker:$/);
    const code = await new Promise((resolve) =>
      worker.exitCode === null ? worker.once('exit', resolve) : resolve(worker.exitCode),
    );
    expect(code).toBe(0);
  });

  it('Ctrl+C while waiting for workers to stop brings the menu back at once', async () => {
    const s = sandbox();
    await s.run(['enqueue', '{"id":"slow","command":"sleep 3"}']);
    const worker = s.start(['worker', 'start', '--count', '1', '--quiet']);
    await waitFor(async () => (await s.json<Shown>(['show', 'slow'])).job.state === 'processing', {
      what: 'the job to start',
    });
    const t = await openMenu(s);
    await answer(t, '5', /^Asking every worker on this database to stop/);
    await t.step(['C-c'], /^(\^C)?interrupted$/);
    await t.waitFor(MENU);
    expect((await s.json<Shown>(['show', 'slow'])).job.state).toBe('processing');
    // The stop request stands: the worker finishes its job, then exits.
    const code = await new Promise((resolve) => worker.once('exit', resolve));
    expect(code).toBe(0);
    expect((await s.json<Shown>(['show', 'slow'])).job.state).toBe('completed');
  });

  it('a question keeps working while the terminal is resized', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    await answer(t, '3', /^\? Job id/);
    t.type('abc');
    t.resize(30, 8);
    t.type('def');
    await t.step(['Enter'], /^\? Command/);
    t.resize(100, 30);
    await answer(t, 'echo resized', /^\? Max retries/);
    await answer(t, '', /^enqueued abcdef$/);
    expect((await s.json<Shown>(['show', 'abcdef'])).job.state).toBe('pending');
  });

  it('opens top and comes back with q', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    t.keys('t', 'Enter');
    await t.waitFor(/queuectl top[^]*pending 0/);
    expect(t.pane('#{alternate_on}')).toBe('1');
    await t.step(['q'], MENU);
    expect(t.pane('#{alternate_on}')).toBe('0');
    await answer(t, '0', /^\[exit 0\]$/);
  });

  it('opens with -i and --interactive, on the database --db names', async () => {
    const s = sandbox();
    const other = `${s.home}/other.db`;
    for (const flag of ['-i', '--interactive']) {
      const t = await openMenu(s, ['--db', other, flag]);
      expect(screen(t)).toContain(`interactive menu on ${other}`);
      await answer(t, '0', /^\[exit 0\]$/);
    }
  });

  it('hostile input: a bad menu key, a unicode id, a long id, an empty command, a 10 KB command', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    await answer(t, 'x', /"x" isn't an available option/);
    t.keys('C-u');
    await answer(t, '3', /^\? Job id/);
    await answer(t, 'ジョブ', /may only hold letters, digits/);
    t.keys('C-u');
    await answer(t, 'a'.repeat(200), /must be 1 to 128 characters long/);
    t.keys('C-u');
    await answer(t, '', /^\? Command/);
    await answer(t, '', /command must not be empty/);
    const long = `echo ${'x'.repeat(10 * 1024)}`;
    t.type(long);
    // The prompt redraws on every key: 10 KB typed costs seconds of CPU (8 s here with the suite
    // on one core, >20 s beside another test file), and Enter waits behind all of it.
    await t.waitFor(/^\? Command …x+$/m, undefined, 60_000);
    await t.step(['Enter'], /^✔ Command echo x+… \(10245 characters\)$/, 60_000);
    await answer(t, '', /^enqueued \w+$/);
    const [job] = await s.json<{ command: string }[]>(['list']);
    expect(job!.command).toBe(long);
    // The long question was redrawn in place: no stale copies of it are left on screen.
    expect(t.history()).not.toMatch(/^\? Command/m);
  }, 150_000);

  it('an action that fails on the database prints one line and the menu goes on', async () => {
    const s = sandbox();
    const t = await openMenu(s);
    const db = new Database(s.db);
    db.exec('DROP TABLE workers');
    db.close();
    await answer(t, '1', /^queuectl: .*workers/);
    await t.waitFor(MENU);
    await answer(t, '8', /^\? Press Enter/);
    expect(screen(t)).toMatch(/^max-retries +3 /m);
  });

  it('an unreachable database: one line and exit 1 before any menu', async () => {
    const s = sandbox();
    const t = openTerminal({ ...s.env, db: 'postgres://nobody@127.0.0.1:1/none' }, []);
    await t.waitFor(/\[exit 1\]/);
    const shown = t.lines().filter(Boolean);
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatch(/^queuectl: /);
  });

  it('without a terminal, no command prints the help as before, and -i is refused', async () => {
    const s = sandbox();
    const plain = await s.run([]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^Usage: queuectl \[options\] \[command\]/);
    expect(plain.stderr).toContain('-i, --interactive');
    expect(plain.stdout).toBe('');
    const asked = await s.run(['-i']);
    expect(asked).toMatchObject({ code: 2, stdout: '' });
    expect(asked.stderr).toMatch(/^queuectl: the interactive menu needs a terminal[^\n]*\n$/);
  });
});
