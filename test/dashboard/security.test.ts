import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/core/queue.js';
import { startDashboard, UnsafeBindError, type Dashboard } from '../../src/dashboard/server.js';
import { MAX_BODY_BYTES } from '../../src/dashboard/http.js';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TOKEN_COOKIE } from '../../src/dashboard/security.js';
import { waitFor } from '../helpers/wait-for.js';
import { csrfTokenOf, request } from './http-request.js';
import { run, start, stop } from './processes.js';
import { rawRequest, rawSocket } from './raw-http.js';

let queue: Queue;
let home: string;

beforeAll(async () => {
  home = tempDir();
  queue = new Queue(await openStore({ db: join(home, 'queue.db') }));
  await queue.enqueue({ id: 'p1', command: 'true', delay: '1h' });
});

afterAll(async () => {
  await queue?.close();
});

describe('dashboard on loopback without a token', () => {
  let dashboard: Dashboard;
  let port: number;
  let csrf: string;
  beforeAll(async () => {
    dashboard = await startDashboard({ queue, port: 0, onError: () => {} });
    port = dashboard.port;
    csrf = await csrfTokenOf(port);
  });
  afterAll(() => dashboard?.close());

  const cancel = (headers: Record<string, string>, body = '{}') =>
    request(port, '/api/jobs/p1/cancel', { method: 'POST', headers, body });

  it('binds to 127.0.0.1 by default and prints a URL without a token', () => {
    expect(dashboard.url).toBe(`http://127.0.0.1:${port}/`);
  });

  it('answers requests for localhost and the bound address', async () => {
    expect((await request(port, '/api/overview')).status).toBe(200);
    const localhost = await request(port, '/api/overview', {
      headers: { host: `localhost:${port}` },
    });
    expect(localhost.status).toBe(200);
  });

  it('refuses a request whose Host is another name (DNS rebinding)', async () => {
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`]) {
      const reply = await request(port, '/api/overview', { headers: { host } });
      expect(reply.status, host).toBe(421);
      expect(JSON.parse(reply.body).error).toMatch(/refused/);
    }
    expect((await request(port, '/', { headers: { host: 'evil.example' } })).body).not.toContain(
      'csrf-token',
    );
  });

  it('refuses a state change without the CSRF token, or with a wrong one', async () => {
    const missing = await cancel({ origin: `http://127.0.0.1:${port}` });
    expect(missing.status).toBe(403);
    expect(JSON.parse(missing.body).error).toMatch(/CSRF/);
    expect((await cancel({ 'x-csrf-token': 'guess' })).status).toBe(403);
    expect((await queue.get('p1')).state).toBe('pending');
  });

  it('refuses a state change from another Origin or a cross-site fetch, even with the token', async () => {
    const foreign = await cancel({ origin: 'http://evil.example', 'x-csrf-token': csrf });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error).toMatch(/origin "http:\/\/evil.example"/);
    const crossSite = await cancel({ 'sec-fetch-site': 'cross-site', 'x-csrf-token': csrf });
    expect(crossSite.status).toBe(403);
    expect((await queue.get('p1')).state).toBe('pending');
  });

  it('refuses an oversized request body', async () => {
    const reply = await cancel(
      { origin: `http://127.0.0.1:${port}`, 'x-csrf-token': csrf },
      JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) }),
    );
    expect(reply.status).toBe(413);
    expect((await queue.get('p1')).state).toBe('pending');
  });

  it('accepts a same-origin state change that carries the CSRF token', async () => {
    const reply = await cancel({ origin: `http://127.0.0.1:${port}`, 'x-csrf-token': csrf });
    expect(reply.status, reply.body).toBe(200);
    expect((await queue.get('p1')).state).toBe('cancelled');
  });

  it('sends headers that stop sniffing, framing and inline scripts', async () => {
    const page = await request(port, '/');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('dashboard with an access token', () => {
  it('refuses to bind off loopback without a token, and a token that cannot travel in a header', async () => {
    await expect(startDashboard({ queue, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      UnsafeBindError,
    );
    for (const token of ['☃', 'two words', 'x'.repeat(1025)]) {
      await expect(startDashboard({ queue, port: 0, token })).rejects.toThrow(/printable ASCII/);
    }
    const cli = await run({ home, db: join(home, 'queue.db') }, [
      'dashboard',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    ]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/requires|--token/);
  });

  it('requires the token on every request when bound to all addresses', async () => {
    const dashboard = await startDashboard({
      queue,
      host: '0.0.0.0',
      port: 0,
      token: 's3cret',
      onError: () => {},
    });
    const port = dashboard.port;
    try {
      expect(dashboard.url).toBe(`http://localhost:${port}/?token=s3cret`);
      for (const path of ['/', '/api/overview', '/api/events', '/metrics']) {
        expect((await request(port, path)).status, path).toBe(401);
      }
      expect(
        (await request(port, '/api/overview', { headers: { authorization: 'Bearer nope' } }))
          .status,
      ).toBe(401);
      const bearer = await request(port, '/metrics', {
        headers: { authorization: 'Bearer s3cret' },
      });
      expect(bearer.status).toBe(200);
      // The printed link logs the browser in with a cookie and drops the token from the URL.
      const login = await request(port, '/?token=s3cret');
      expect(login.status).toBe(303);
      expect(login.headers.location).toBe('/');
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await request(port, '/api/overview', { headers: { cookie } })).status).toBe(200);
    } finally {
      await dashboard.close();
    }
  });

  it('answers a malformed token cookie or header with 401, and a stale cookie does not block a new link', async () => {
    const dashboard = await startDashboard({ queue, port: 0, token: 's3cret', onError: () => {} });
    const port = dashboard.port;
    try {
      const malformed: Record<string, string>[] = [
        { cookie: `${TOKEN_COOKIE}=%E0%A4%A` },
        { cookie: `${TOKEN_COOKIE}=%` },
        { cookie: `a=%; ${TOKEN_COOKIE}` },
        { authorization: 'Bearer %E0%A4%A' },
        { authorization: 'Bearer' },
      ];
      for (const headers of malformed) {
        const reply = await request(port, '/api/overview', { headers });
        expect(reply.status, JSON.stringify(headers)).toBe(401);
        expect(JSON.parse(reply.body).error).toMatch(/access token is required/);
      }
      // A browser that still holds the cookie of an earlier run (another token) opens the new link.
      const login = await request(port, '/?token=s3cret', {
        headers: { cookie: `${TOKEN_COOKIE}=old-token` },
      });
      expect(login.status).toBe(303);
      const bearer = { authorization: 'bearer s3cret' }; // the scheme is case-insensitive
      expect((await request(port, '/api/overview', { headers: bearer })).status).toBe(200);
      // The login redirect never leads off the dashboard.
      const away = await request(port, '//evil.example/?token=s3cret');
      expect(away.headers.location).toBe('/');
    } finally {
      await dashboard.close();
    }
  });
});

describe('Host allow-list', () => {
  const get = (port: number, host: string) =>
    request(port, '/api/overview', { headers: { host, authorization: 'Bearer s3cret' } });

  it('on a wildcard bind with a token, refuses other Host names with 421', async () => {
    const dashboard = await startDashboard({
      queue,
      host: '0.0.0.0',
      port: 0,
      token: 's3cret',
      onError: () => {},
    });
    const port = dashboard.port;
    try {
      for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example`]) {
        const reply = await get(port, host);
        expect(reply.status, host).toBe(421);
        expect(JSON.parse(reply.body).error).toMatch(/refused; .*--allowed-host/);
      }
      // Loopback names (any case, a trailing dot, IPv6) and this machine's own addresses.
      const own = dashboard.acceptedHosts.filter((h) => !/^(localhost|127\.|::1$)/.test(h));
      expect(own.length).toBeGreaterThan(0);
      for (const host of [
        `localhost:${port}`,
        `LOCALHOST.:${port}`,
        `127.0.0.1:${port}`,
        `[::1]:${port}`,
        ...own.map((h) => (h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`)),
      ]) {
        expect((await get(port, host)).status, host).toBe(200);
      }
    } finally {
      await dashboard.close();
    }
  });

  it('accepts the names given with allowedHosts (--allowed-host)', async () => {
    const dashboard = await startDashboard({
      queue,
      host: '0.0.0.0',
      port: 0,
      token: 's3cret',
      allowedHosts: ['queue.example.com'],
      onError: () => {},
    });
    const port = dashboard.port;
    try {
      for (const host of ['queue.example.com', 'QUEUE.Example.com.:8443']) {
        expect((await get(port, host)).status, host).toBe(200);
      }
      expect((await get(port, 'other.example.com')).status).toBe(421);
    } finally {
      await dashboard.close();
    }
  });

  it('answers a malformed or repeated Host header with 400', async () => {
    const dashboard = await startDashboard({ queue, port: 0, onError: () => {} });
    const port = dashboard.port;
    try {
      for (const host of ['[::1', '[evil]', 'localhost:99999', 'localhost:x', 'a b', 'a@b', '']) {
        const reply = await rawRequest(port, {
          target: '/api/overview',
          headers: [['host', host]],
        });
        expect(reply.status, host).toBe(400);
        expect(JSON.parse(reply.body).error).toMatch(/Host/);
      }
      const twice = await rawRequest(port, {
        target: '/api/overview',
        headers: [
          ['host', '127.0.0.1'],
          ['host', 'evil.example'],
        ],
      });
      expect(twice.status).toBe(400);
    } finally {
      await dashboard.close();
    }
  });

  it('says at start-up which Host names a wildcard bind accepts, and refuses a bad --allowed-host', async () => {
    const env = { home, db: join(home, 'queue.db'), env: { QUEUECTL_DASHBOARD_TOKEN: 's3cret' } };
    const child = start(env, ['dashboard', '--host', '0.0.0.0', '--port', '0']);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const line = await waitFor(() => /^accepting requests for Host .*$/m.exec(stderr)?.[0], {
      what: 'the accepted Host names',
    });
    expect(line).toMatch(/localhost, 127\.0\.0\.1, ::1, .*--allowed-host NAME/);
    expect(stderr).not.toContain('s3cret');
    await stop(child);

    const bad = await run(env, ['dashboard', '--host', '0.0.0.0', '--allowed-host', 'a b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^queuectl: --allowed-host "a b" is not a host name/);
  });
});

describe('slow clients', () => {
  /** Sends `head` then `trickle` a byte every 100 ms; resolves with what came back and when. */
  async function trickle(port: number, head: string, trickled: string) {
    const socket = await rawSocket(port);
    const started = Date.now();
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => {});
    const closed = new Promise<number>((resolve) =>
      socket.on('close', () => resolve(Date.now() - started)),
    );
    socket.write(head);
    let i = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(trickled[i++ % trickled.length]!);
    }, 100);
    const bound = new Promise<number>((resolve) => setTimeout(() => resolve(-1), 8000));
    const ms = await Promise.race([closed, bound]);
    clearInterval(timer);
    socket.destroy();
    return { ms, answer };
  }

  it('cuts a client that trickles its headers once headersTimeoutMs has passed', async () => {
    const dashboard = await startDashboard({
      queue,
      port: 0,
      headersTimeoutMs: 1000,
      onError: () => {},
    });
    try {
      const { ms, answer } = await trickle(
        dashboard.port,
        'GET /api/overview HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ',
        'abcdefgh',
      );
      expect(ms, 'the connection was still open after 8 s').toBeGreaterThan(0);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(3000);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('"error":"the request was not received in time"');
    } finally {
      await dashboard.close();
    }
  });

  it('cuts a client that trickles its body once requestTimeoutMs has passed, and does not act on the part', async () => {
    const errors: unknown[] = [];
    const dashboard = await startDashboard({
      queue,
      port: 0,
      headersTimeoutMs: 500,
      requestTimeoutMs: 1000,
      onError: (error) => errors.push(error),
    });
    await queue.enqueue({ id: 'slow-cancel', command: 'true', delay: '1h' });
    try {
      const csrf = await csrfTokenOf(dashboard.port);
      const { ms } = await trickle(
        dashboard.port,
        'POST /api/jobs/slow-cancel/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          `X-CSRF-Token: ${csrf}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{}`,
        ' ',
      );
      expect(ms, 'the connection was still open after 8 s').toBeGreaterThan(0);
      expect(ms).toBeLessThan(3000);
      // The handler sees the body end early; the cancel must not happen (it would within ms).
      const cancelled = await waitFor(
        () =>
          queue.get('slow-cancel').then(
            () => false,
            () => true,
          ),
        { timeoutMs: 500, what: 'a cancel' },
      ).catch(() => false);
      expect(cancelled, 'a request cut short was acted on').toBe(false);
      expect(errors.map(String)).toEqual([]);
    } finally {
      await dashboard.close();
    }
  });
});
