/**
 * Where `queuectl dashboard` takes its access token from (the environment, --token-file, --token)
 * and that the token stays out of every process's argv and out of the logs, but for the one URL
 * printed for the user.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliEnv } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { request } from './http-request.js';
import { run, start, stop } from './processes.js';

const TOKEN = '5e1f0c0ffee5e1f0c0ffee5e1f0c0ffe';

function sandbox(extra: Record<string, string> = {}): CliEnv {
  const home = tempDir();
  return { home, db: join(home, 'queue.db'), env: extra };
}

/** Starts the dashboard and waits for the URL it prints. */
async function serve(env: CliEnv, args: string[]) {
  const child = start(env, ['dashboard', '--port', '0', ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await waitFor(() => /dashboard: (http:\S+)/.exec(stdout)?.[1], {
    what: `the dashboard URL (stderr: ${stderr})`,
  });
  const port = Number(new URL(url).port);
  const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
  return { child, url, port, argv, output: () => ({ stdout, stderr }) };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function tokenFile(dir: string, text: string, mode = 0o600): string {
  const path = join(dir, 'token');
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe('dashboard access token sources', () => {
  it('takes the token from QUEUECTL_DASHBOARD_TOKEN, and no argv holds it', async () => {
    const server = await serve(sandbox({ QUEUECTL_DASHBOARD_TOKEN: TOKEN }), []);
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
      expect((await request(server.port, '/api/overview')).status).toBe(401);
      expect((await request(server.port, '/api/overview', { headers: bearer(TOKEN) })).status).toBe(
        200,
      );
      expect(server.argv).not.toContain(TOKEN);
    } finally {
      await stop(server.child);
    }
    // Printed once, in the URL on stdout; never on stderr.
    expect(server.output().stdout.split(TOKEN)).toHaveLength(2);
    expect(server.output().stderr).not.toContain(TOKEN);
  });

  it('reads the token from --token-file, without its trailing newline', async () => {
    const env = sandbox();
    const file = tokenFile(env.home, `${TOKEN}\n`);
    const server = await serve(env, ['--token-file', file, '--host', '0.0.0.0']);
    try {
      expect((await request(server.port, '/api/overview', { headers: bearer(TOKEN) })).status).toBe(
        200,
      );
      expect((await request(server.port, '/api/overview')).status).toBe(401);
      expect(server.argv).not.toContain(TOKEN);
      expect(server.output().stderr).not.toContain(TOKEN);
    } finally {
      await stop(server.child);
    }
  });

  it('refuses a token file that is missing, empty, a directory, or open to other users', async () => {
    const cases: [string, (dir: string) => string, RegExp][] = [
      ['missing', (dir) => join(dir, 'nope'), /cannot read the token file .*nope: no such file/],
      ['empty', (dir) => tokenFile(dir, ''), /the token file .* is empty/],
      ['only a newline', (dir) => tokenFile(dir, '\n'), /the token file .* is empty/],
      ['group-readable', (dir) => tokenFile(dir, TOKEN, 0o640), /mode 0640\); run: chmod 600/],
      ['world-readable', (dir) => tokenFile(dir, TOKEN, 0o604), /mode 0604\); run: chmod 600/],
      ['a directory', (dir) => (mkdirSync(join(dir, 'd')), join(dir, 'd')), /is a directory/],
      ['a token with a space', (dir) => tokenFile(dir, 'two words'), /printable ASCII/],
    ];
    for (const [what, make, message] of cases) {
      const env = sandbox();
      const result = await run(env, ['dashboard', '--port', '0', '--token-file', make(env.home)]);
      expect(result.code, what).toBe(2);
      expect(result.stderr, what).toMatch(/^queuectl: [^\n]*\n$/);
      expect(result.stderr, what).toMatch(message);
      expect(existsSync(env.db!), `${what}: the database was opened`).toBe(false);
    }
    const both = await run(sandbox(), ['dashboard', '--token', 'a', '--token-file', '/x']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^queuectl: give the access token once/);
  });

  it('still takes --token, and its help says ps shows it', async () => {
    const help = await run(sandbox(), ['dashboard', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(
      /--token <token> .*other users see it with ps; prefer QUEUECTL_DASHBOARD_TOKEN or --token-file/,
    );
    const server = await serve(sandbox(), ['--token', TOKEN]);
    try {
      expect((await request(server.port, '/api/overview', { headers: bearer(TOKEN) })).status).toBe(
        200,
      );
    } finally {
      await stop(server.child);
    }
  });

  it('--open hands the browser a one-time login link, not the token', async () => {
    const env = sandbox({ QUEUECTL_DASHBOARD_TOKEN: TOKEN });
    const bin = join(env.home, 'bin');
    mkdirSync(bin);
    const opened = join(env.home, 'opened');
    // A stand-in for xdg-open that records what it was given.
    writeFileSync(
      join(bin, 'xdg-open'),
      `#!/bin/sh\nenv > "${opened}.env"\necho "$@" > "${opened}"\n`,
    );
    chmodSync(join(bin, 'xdg-open'), 0o755);
    env.env!.PATH = `${bin}:${process.env.PATH}`;
    const server = await serve(env, ['--open']);
    try {
      const link = (
        await waitFor(() => (existsSync(opened) ? readFileSync(opened, 'utf8') : ''))
      ).trim();
      expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?login=[\\w-]+$`));
      expect(link).not.toContain(TOKEN);
      expect(readFileSync(`${opened}.env`, 'utf8')).not.toContain(TOKEN);
      const path = link.slice(link.indexOf('/?'));
      const login = await request(server.port, path);
      expect(login.status).toBe(303);
      expect(login.headers.location).toBe('/');
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      expect((await request(server.port, '/api/overview', { headers: { cookie } })).status).toBe(
        200,
      );
      // It works once.
      const again = await request(server.port, path);
      expect(again.status).toBe(401);
      expect(JSON.parse(again.body).error).toMatch(/used or has expired/);
    } finally {
      await stop(server.child);
    }
  });
});
