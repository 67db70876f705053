/** `queuectl dashboard`: serves the web dashboard until Ctrl+C. */
import { spawn } from 'node:child_process';
import { ValidationError } from '../../core/errors.js';
import type { Queue } from '../../core/queue.js';
import { startDashboard } from '../../dashboard/server.js';
import { CommandFailure } from '../errors.js';

export interface DashboardOptions {
  port?: string;
  host?: string;
  open?: boolean;
  token?: string;
}

export function parsePort(port: string | undefined): number {
  const value = port ?? '3000';
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) {
    throw new ValidationError(`--port must be a whole number from 0 to 65535, not "${value}"`);
  }
  return n;
}

function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`could not open a browser; visit ${url}\n`));
  child.unref();
}

export async function dashboard(queue: Queue, options: DashboardOptions): Promise<void> {
  const port = parsePort(options.port);
  let server;
  try {
    server = await startDashboard({
      queue,
      port,
      host: options.host ?? '127.0.0.1',
      token: options.token ?? process.env.QUEUECTL_DASHBOARD_TOKEN ?? null,
      onError: (error) => process.stderr.write(`dashboard: ${String(error)}\n`),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new CommandFailure(`port ${port} is already in use; try --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new CommandFailure(`cannot listen on ${options.host}: no such address here`);
    }
    throw error;
  }
  process.stdout.write(`dashboard: ${server.url}\n`);
  process.stderr.write(`serving ${queue.store.location}; Ctrl+C stops\n`);
  if (options.open) openBrowser(server.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
