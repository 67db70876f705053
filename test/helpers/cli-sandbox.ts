/** A temporary HOME with its own database, and shortcuts to run the built CLI in it. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { cliJson, collect, runCli, startCli, type CliEnv, type CliResult } from './run-cli.js';
import { tempDir } from './temp-dir.js';

export interface Sandbox {
  home: string;
  db: string;
  env: CliEnv;
  run(args: string[], input?: string): Promise<CliResult>;
  json<T>(args: string[]): Promise<T>;
  /** Starts the CLI in the background (extra environment variables optional); killed after the test. */
  start(args: string[], extraEnv?: Record<string, string>): ChildProcess;
  /** Every row of every table, for "nothing changed" comparisons. */
  dump(): string;
}

const started: ChildProcess[] = [];
afterEach(() => {
  // Leak guard: no worker outlives its test.
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
  }
});

export function sandbox(): Sandbox {
  const home = tempDir();
  const db = join(home, 'queue.db');
  const env: CliEnv = { home, db };
  return {
    home,
    db,
    env,
    run: (args, input) => runCli(env, args, input),
    json: (args) => cliJson(env, args),
    start(args, extraEnv) {
      const child = startCli(extraEnv ? { ...env, env: { ...env.env, ...extraEnv } } : env, args);
      started.push(child);
      return child;
    },
    dump() {
      const conn = new Database(db, { readonly: true });
      try {
        const tables = conn
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
          .all() as {
          name: string;
        }[];
        return JSON.stringify(
          tables.map(({ name }) => [name, conn.prepare(`SELECT * FROM "${name}"`).all()]),
        );
      } finally {
        conn.close();
      }
    },
  };
}

export { collect };
