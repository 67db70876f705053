/** `queuectl dashboard`: serves the web dashboard until Ctrl+C. */
import { spawn } from 'node:child_process';
import { ValidationError } from '../../core/errors.js';
import type { Queue } from '../../core/queue.js';
import { resolveAccessToken, TOKEN_ENV } from '../../dashboard/access-token.js';
import { bindName, isWildcard } from '../../dashboard/security.js';
import { checkBind, startDashboard } from '../../dashboard/server.js';
import type { PlainCommand } from '../command-spec.js';
import { withQueue } from '../context.js';
import { CommandFailure } from '../errors.js';

export interface DashboardOptions {
  port?: number;
  host?: string;
  open?: boolean;
  token?: string;
  tokenFile?: string;
  allowedHost?: string[];
}

/** The options checked before the database is opened: a mistake changes nothing. */
export interface DashboardSettings {
  port: number;
  host: string;
  open: boolean;
  token: string | null;
  allowedHosts: string[];
}

function parseAllowedHost(value: string): string {
  const name = bindName(value);
  if (name === null) {
    throw new ValidationError(
      `--allowed-host "${value}" is not a host name or IP address (like queue.example.com or 10.0.0.5)`,
    );
  }
  return name;
}

export async function dashboardSettings(options: DashboardOptions): Promise<DashboardSettings> {
  const settings = {
    port: options.port ?? 3000,
    host: options.host ?? '127.0.0.1',
    open: options.open ?? false,
    token: await resolveAccessToken(options, process.env),
    allowedHosts: (options.allowedHost ?? []).map(parseAllowedHost),
  };
  checkBind(settings.host, settings.token);
  return settings;
}

/** Opens the page; the browser's argv (readable by every user) holds a one-time link, not the token. */
function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const env = { ...process.env };
  delete env[TOKEN_ENV];
  const child = spawn(command, [url], { stdio: 'ignore', detached: true, env });
  child.on('error', () => process.stderr.write('could not open a browser; open the printed URL\n'));
  child.unref();
}

export const dashboardCommand: PlainCommand<DashboardOptions> = {
  kind: 'plain',
  async run({ opts }) {
    // Checked before the database is opened: a mistake changes nothing.
    const settings = await dashboardSettings(opts);
    await withQueue(opts, (queue) => dashboard(queue, settings));
  },
};

export async function dashboard(queue: Queue, settings: DashboardSettings): Promise<void> {
  let server;
  try {
    server = await startDashboard({
      queue,
      port: settings.port,
      host: settings.host,
      token: settings.token,
      allowedHosts: settings.allowedHosts,
      onError: (error) => process.stderr.write(`dashboard: ${String(error)}\n`),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new CommandFailure(`port ${settings.port} is already in use; try --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new CommandFailure(`cannot listen on ${settings.host}: no such address here`);
    }
    throw error;
  }
  process.stdout.write(`dashboard: ${server.url}\n`);
  process.stderr.write(`serving ${queue.store.location}; Ctrl+C stops\n`);
  if (isWildcard(settings.host) && settings.allowedHosts.length === 0) {
    process.stderr.write(
      `accepting requests for Host ${server.acceptedHosts.join(', ')}; ` +
        'others are refused (DNS rebinding): add a name with --allowed-host NAME\n',
    );
  }
  if (settings.open) openBrowser(server.loginUrl());
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
