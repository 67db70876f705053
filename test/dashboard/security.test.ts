import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/core/queue.js';
import { startDashboard, UnsafeBindError, type Dashboard } from '../../src/dashboard/server.js';
import { MAX_BODY_BYTES } from '../../src/dashboard/http.js';
import { openStore } from '../../src/store/open-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { csrfTokenOf, request } from './http-request.js';
import { run } from './processes.js';

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
    expect(JSON.parse(foreign.body).error).toMatch(/origin http:\/\/evil.example/);
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
    await expect(queue.get('p1')).rejects.toThrow(/no job with id "p1"/);
  });

  it('sends headers that stop sniffing, framing and inline scripts', async () => {
    const page = await request(port, '/');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('dashboard with an access token', () => {
  it('refuses to bind off loopback without a token', async () => {
    await expect(startDashboard({ queue, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      UnsafeBindError,
    );
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
});
