/** Runs the built CLI exactly as a user would, in a temporary HOME. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/bin.cjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  home: string;
  db?: string;
  env?: Record<string, string>;
  cwd?: string;
}

function environment(context: CliEnv): NodeJS.ProcessEnv {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  delete inherited.FORCE_COLOR; // the test runner's own setting must not colour what we compare
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    HOME: context.home,
    XDG_DATA_HOME: '',
    NO_COLOR: '1',
    ...context.env,
  };
  delete env.QUEUECTL_DB;
  if (context.db) env.QUEUECTL_DB = context.db;
  return env;
}

/** Starts the CLI and returns the child; the caller waits for it. */
export function startCli(context: CliEnv, args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: context.cwd ?? context.home,
    env: environment(context),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess, input?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runCli(context: CliEnv, args: string[], input?: string): Promise<CliResult> {
  return collect(startCli(context, args), input);
}

/** Runs a command that prints --json and parses it; fails loudly on a non-zero exit. */
export async function cliJson<T>(context: CliEnv, args: string[]): Promise<T> {
  const result = await runCli(context, [...args, '--json']);
  if (result.code !== 0)
    throw new Error(`queuectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
