/**
 * `queuectl service install [--user] [--count N] [--concurrency M] [--stop-timeout D] [--print]`: a systemd unit
 * that runs `queuectl worker start` on this database, so workers start at boot (or login) and
 * come back after a crash. Stopping is graceful: systemd sends SIGTERM to the supervisor only
 * (KillMode=mixed: jobs in the same cgroup must not get it too), which lets running jobs finish;
 * whatever is still there after TimeoutStopSec is SIGKILLed, and those jobs run again later (their
 * runs count as worker_lost), so TimeoutStopSec should exceed kill-grace plus the longest job.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ValidationError } from '../../core/errors.js';
import { formatDuration } from '../../core/units.js';
import { displayLocation, isPostgresUrl, resolveLocation } from '../../store/open-store.js';
import type { PlainCommand } from '../command-spec.js';

export interface ServiceOptions {
  db?: string;
  user?: boolean;
  count?: number;
  concurrency?: number;
  /** Milliseconds. */
  stopTimeout?: number;
  print?: boolean;
}

export const UNIT_NAME = 'queuectl-worker.service';
export const DEFAULT_STOP_TIMEOUT_MS = 15 * 60_000;

/** systemd quoting for one ExecStart word (spaces, quotes, backslashes, and % specifiers). */
function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  return /^[\w@+=:,./-]+$/.test(escaped)
    ? escaped
    : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The unit's text: what `--print` prints and `install` writes. */
export function serviceUnit(options: {
  location: string;
  user: boolean;
  count?: number;
  concurrency?: number;
  stopTimeoutMs: number;
  node?: string;
  script?: string;
  /** The system unit's User= (default: who installs it). */
  runAs?: string;
}): string {
  const exec = [
    options.node ?? process.execPath,
    options.script ?? resolve(process.argv[1]!),
    'worker',
    'start',
    '--quiet',
    ...(options.count === undefined ? [] : ['--count', String(options.count)]),
    ...(options.concurrency === undefined ? [] : ['--concurrency', String(options.concurrency)]),
  ]
    .map(systemdWord)
    .join(' ');
  const shown = displayLocation(options.location);
  return `# Written by queuectl service install: workers for ${shown}.
# Stop: SIGTERM to the supervisor only (KillMode=mixed), which lets running jobs finish; after
# TimeoutStopSec everything left is SIGKILLed and those jobs run again later. Keep it longer than
# kill-grace plus your longest job (queuectl service install --stop-timeout).
[Unit]
Description=queuectl workers (${shown})
${isPostgresUrl(options.location) ? 'Wants=network-online.target\nAfter=network-online.target\n' : ''}
[Service]
Type=simple
${options.user ? '' : `User=${options.runAs ?? userInfo().username}\n`}Environment=${systemdWord(`QUEUECTL_DB=${shown}`)}
ExecStart=${exec}
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=${Math.ceil(options.stopTimeoutMs / 1000)}
Restart=on-failure
RestartSec=5

[Install]
WantedBy=${options.user ? 'default.target' : 'multi-user.target'}
`;
}

export function unitPath(user: boolean): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return user ? join(base, 'systemd', 'user', UNIT_NAME) : join('/etc/systemd/system', UNIT_NAME);
}

export const serviceInstallCommand: PlainCommand<ServiceOptions> = {
  kind: 'plain',
  async run({ opts }) {
    const location = resolveLocation(opts.db);
    if (isPostgresUrl(location) && new URL(location).password) {
      throw new ValidationError(
        'the database URL holds a password, which a unit file (readable by every user) must not: give it through ~/.pgpass or PGPASSWORD in an EnvironmentFile, and a URL without it',
      );
    }
    const unit = serviceUnit({
      location,
      user: opts.user === true,
      count: opts.count,
      concurrency: opts.concurrency,
      stopTimeoutMs: opts.stopTimeout ?? DEFAULT_STOP_TIMEOUT_MS,
    });
    if (opts.print) {
      process.stdout.write(unit);
      return;
    }
    const path = unitPath(opts.user === true);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, unit, { mode: 0o644 });
    const ctl = opts.user ? 'systemctl --user' : 'systemctl';
    process.stdout.write(
      `wrote ${path} (workers for ${displayLocation(location)}; stop timeout ${formatDuration(opts.stopTimeout ?? DEFAULT_STOP_TIMEOUT_MS)})\n` +
        `start it: ${ctl} daemon-reload && ${ctl} enable --now ${UNIT_NAME}\n` +
        (opts.user ? 'to keep it running after you log out: loginctl enable-linger\n' : ''),
    );
  },
};
