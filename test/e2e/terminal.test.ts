/**
 * On a real terminal (tmux): tables fit its width (`queuectl list` cuts long commands and errors
 * with … instead of wrapping; piped, it cuts nothing), and a live progress line (demo, worker
 * start --drain) never runs into the workers' log lines.
 */
import { afterEach, expect, it } from 'vitest';
import { sandbox } from '../helpers/cli-sandbox.js';
import { CLI } from '../helpers/run-cli.js';
import { tmuxOn } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait-for.js';

const tmux = tmuxOn(`queuectl-terminal-${process.pid}`);

afterEach(() => tmux.killServer());

it('cuts long cells with … on an 80-column terminal and nothing when piped', async () => {
  const s = sandbox();
  const long = `echo ${'building the report '.repeat(8)}`;
  expect((await s.run(['enqueue', JSON.stringify({ id: 'long', command: long })])).code).toBe(0);

  const piped = await s.run(['list']);
  expect(piped.stdout).toContain(long.trim());

  tmux.open(s, `${process.execPath} ${CLI} list; echo END-OF-LIST; sleep 60`, {
    width: 80,
    height: 20,
  });
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

/** Runs a command line in a fresh pane; END-OF-RUN is printed when it has ended. */
function inTmux(s: ReturnType<typeof sandbox>, command: string, width = 120): void {
  tmux.open(s, `${command}; echo END-OF-RUN; sleep 60`, { width });
}

/** Everything the pane printed, scrollback included, once the run has ended. */
async function finishedScreen(): Promise<string[]> {
  const text = await waitFor(
    () => {
      const screen = tmux('capture-pane', '-p', '-J', '-S', '-');
      return screen.includes('END-OF-RUN') ? screen : null;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: 'the run to end in tmux' },
  );
  return text.split('\n');
}

it("keeps demo's progress line apart from the workers' log lines", async () => {
  const s = sandbox();
  inTmux(s, `${process.execPath} ${CLI} demo`);
  const lines = await finishedScreen();
  expect(lines.some((line) => /\[worker \d\] demo-\S+: completed/.test(line))).toBe(true);
  expect(lines.filter((line) => line.includes('progress:') && line.includes('[worker'))).toEqual(
    [],
  );
  expect(lines.some((line) => line.startsWith('explore it:'))).toBe(true);
});

it('shows one live progress line while draining, and a summary at the end', async () => {
  const s = sandbox();
  const jobs = Array.from({ length: 6 }, (_, i) => ({
    id: `slow-${i}`,
    command: 'sleep 0.5; echo done',
  }));
  expect((await s.run(['enqueue', JSON.stringify(jobs)])).code).toBe(0);
  inTmux(s, `${process.execPath} ${CLI} worker start --count 2 --drain`);
  // While it runs, the bottom line is the live one.
  await waitFor(() => /draining: .*completed/.test(tmux('capture-pane', '-p')), {
    what: 'the live progress line',
  });
  const lines = await finishedScreen();
  expect(lines.filter((line) => line.includes('draining:') && line.includes('[worker'))).toEqual(
    [],
  );
  expect(lines.filter((line) => /\[worker \d\] slow-\d: completed/.test(line))).toHaveLength(6);
  expect(
    lines.some((line) => /^drained in \S+: 6 jobs completed, 0 failed runs, 0 dead$/.test(line)),
  ).toBe(true);
});
