/**
 * Tables fit the terminal: `queuectl list` in a real 80-column pseudo-terminal (tmux) cuts long
 * commands and errors with … instead of wrapping; piped, it cuts nothing.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { sandbox } from '../helpers/cli-sandbox.js';
import { CLI } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const socket = `queuectl-tables-${process.pid}`;
const tmux = (...args: string[]) =>
  execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

afterEach(() => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
});

it('cuts long cells with … on an 80-column terminal and nothing when piped', async () => {
  const s = sandbox();
  const long = `echo ${'building the report '.repeat(8)}`;
  expect((await s.run(['enqueue', JSON.stringify({ id: 'long', command: long })])).code).toBe(0);

  const piped = await s.run(['list']);
  expect(piped.stdout).toContain(long.trim());

  const env = Object.entries({ HOME: s.home, QUEUECTL_DB: s.db, NO_COLOR: '1', XDG_DATA_HOME: '' })
    .map(([k, v]) => `${k}='${v}'`)
    .join(' ');
  tmux(
    'new-session',
    '-d',
    '-x',
    '80',
    '-y',
    '20',
    `env ${env} ${process.execPath} ${CLI} list; echo END-OF-LIST; sleep 60`,
  );
  const screen = await waitFor(
    () => {
      const text = tmux('capture-pane', '-p', '-J');
      return text.includes('END-OF-LIST') ? text : null;
    },
    { what: 'list to print in tmux' },
  );
  const lines = screen.split('\n').filter((line) => line.trim());
  expect(lines.find((line) => line.startsWith('long '))).toMatch(/ echo building.*…$/);
  for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
});
