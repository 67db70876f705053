/**
 * A real terminal for end-to-end tests: tmux on a socket of its own per test file, a pane of a
 * given size running a command line with a sandbox's environment, and its screen as text.
 */
import { execFileSync } from 'node:child_process';
import type { Sandbox } from './cli-sandbox.js';

export interface Tmux {
  (...args: string[]): string;
  /** Runs `command` (a shell command line) in a new detached session of this size. */
  open(sandbox: Sandbox, command: string, size?: { width?: number; height?: number }): void;
  /** Ends the server and every session (safe when none runs). */
  killServer(): void;
}

export function tmuxOn(socket: string): Tmux {
  const tmux = ((...args: string[]) =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })) as Tmux;
  tmux.open = (sandbox, command, size = {}) => {
    const env = Object.entries({
      HOME: sandbox.home,
      QUEUECTL_DB: sandbox.db,
      NO_COLOR: '1',
      XDG_DATA_HOME: '',
    })
      .map(([name, value]) => `${name}='${value}'`)
      .join(' ');
    tmux(
      'new-session',
      '-d',
      '-x',
      String(size.width ?? 120),
      '-y',
      String(size.height ?? 40),
      `env ${env} ${command}`,
    );
  };
  tmux.killServer = () => {
    try {
      tmux('kill-server');
    } catch {
      // no server left
    }
  };
  return tmux;
}
