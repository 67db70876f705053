/**
 * A real terminal for the built CLI, as a user has one: a tmux session on a socket of its own
 * (so tests never share a server), typed into with send-keys and read with capture-pane. The
 * command runs in the sandbox's environment; when it ends, the pane shows "[exit N]".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { CliEnv } from '../helpers/run-cli.js';
import { CLI } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';

export interface Terminal {
  /** tmux key names ("Enter", "C-c", "Up") or text, as send-keys takes them. */
  keys(...keys: string[]): void;
  /** Literal text (nothing in it is taken for a key name). */
  type(text: string): void;
  /** The visible screen, one string per row. */
  lines(): string[];
  /** The screen and the lines scrolled off it. */
  history(): string;
  /** Waits until the screen (or what `read` returns) matches; returns that text. */
  waitFor(pattern: RegExp, read?: () => string, timeoutMs?: number): Promise<string>;
  /**
   * Sends keys, then waits until the screen and its history hold one more line matching
   * `pattern` than before: a new answer, not one left on screen by an earlier step.
   */
  step(keys: string[], pattern: RegExp, timeoutMs?: number): Promise<void>;
  resize(columns: number, rows: number): void;
  /** A tmux format of the pane, e.g. #{alternate_on} or #{cursor_flag}. */
  pane(format: string): string;
  /** The pid of the CLI's process (a child of the pane's shell). */
  cliPid(): number;
}

const open: string[] = [];
let counter = 0;

afterEach(() => {
  for (const socket of open.splice(0)) {
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    // tmux leaves the socket file of a killed server behind.
    const dir = join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid!()}`);
    rmSync(join(dir, socket), { force: true });
  }
});

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function openTerminal(
  context: CliEnv,
  args: string[],
  options: { columns?: number; rows?: number; env?: Record<string, string> } = {},
): Terminal {
  const socket = `queuectl-test-${process.pid}-${++counter}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: context.home,
    XDG_DATA_HOME: '',
    NO_COLOR: '1',
    SHELL: '/bin/sh',
    ...options.env,
  };
  delete env.TMUX;
  delete env.QUEUECTL_DB;
  if (context.db) env.QUEUECTL_DB = context.db;
  // The shell traps SIGINT (a handler, which the CLI does not inherit) so that a Ctrl+C the CLI
  // handles does not end the shell too and close the pane.
  const command = `exec /bin/sh -c ${quote(
    `trap : INT; ${[process.execPath, CLI, ...args].map(quote).join(' ')}; echo "[exit $?]"; exec sleep 600`,
  )}`;
  const tmux = (...tmuxArgs: string[]) =>
    execFileSync('tmux', ['-L', socket, ...tmuxArgs], { env, encoding: 'utf8' });
  tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-s',
    'q',
    '-x',
    String(options.columns ?? 120),
    '-y',
    String(options.rows ?? 40),
    command,
  );
  open.push(socket);
  tmux('set-option', '-t', 'q', 'history-limit', '5000');
  const terminal: Terminal = {
    keys: (...keys) => void tmux('send-keys', '-t', 'q', ...keys),
    type: (text) => void tmux('send-keys', '-t', 'q', '-l', '--', text),
    lines: () => tmux('capture-pane', '-p', '-t', 'q').replace(/\n$/, '').split('\n'),
    history: () => tmux('capture-pane', '-p', '-t', 'q', '-S', '-5000'),
    async waitFor(pattern, read = () => terminal.lines().join('\n'), timeoutMs = 20_000) {
      let last = '';
      try {
        return await waitFor(
          () => {
            last = read();
            return pattern.test(last) ? last : null;
          },
          { timeoutMs, intervalMs: 50, what: `${pattern} on the terminal` },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; the screen shows:\n${last}`);
      }
    },
    async step(keys, pattern, timeoutMs) {
      const count = () =>
        terminal
          .history()
          .split('\n')
          .filter((line) => pattern.test(line)).length;
      const before = count();
      terminal.keys(...keys);
      try {
        await waitFor(() => count() > before, {
          timeoutMs,
          intervalMs: 50,
          what: `a new ${pattern}`,
        });
      } catch (error) {
        throw new Error(
          `${(error as Error).message}; the screen shows:\n${terminal.lines().join('\n')}`,
        );
      }
    },
    resize: (columns, rows) =>
      void tmux('resize-window', '-t', 'q', '-x', String(columns), '-y', String(rows)),
    pane: (format) => tmux('display-message', '-p', '-t', 'q', format).trim(),
    cliPid() {
      const shell = terminal.pane('#{pane_pid}');
      const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
      return Number(children.split(' ')[0]);
    },
  };
  return terminal;
}
