/**
 * Hostile requests, generated: every endpoint crossed with hostile values for each of its path
 * segments, query parameters, headers, cookies, methods and bodies. Whatever a client sends, the
 * answer is a 4xx with a JSON message (or a success), never a 5xx, and the server keeps serving.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/core/queue.js';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { openStore } from '../../src/store/open-store.js';
import type { CliEnv } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { csrfTokenOf } from './http-request.js';
import { run } from './processes.js';
import { rawRequest, type RawReply, type RawRequest } from './raw-http.js';

const TOKEN = 'fuzz-token-0123456789';

interface Endpoint {
  method: 'GET' | 'POST';
  /** `:id` stands for a job id. */
  path: string;
  query: string[];
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: '/', query: [] },
  { method: 'GET', path: '/style.css', query: [] },
  { method: 'GET', path: '/js/app.js', query: [] },
  { method: 'GET', path: '/metrics', query: [] },
  { method: 'GET', path: '/api/overview', query: [] },
  { method: 'GET', path: '/api/events', query: [] },
  { method: 'GET', path: '/api/jobs', query: ['state', 'search', 'before', 'limit', 'queue'] },
  { method: 'GET', path: '/api/jobs/:id', query: [] },
  { method: 'GET', path: '/api/jobs/:id/output', query: ['stream', 'attempt'] },
  { method: 'POST', path: '/api/jobs/:id/retry', query: [] },
  { method: 'POST', path: '/api/jobs/:id/delete', query: [] },
  { method: 'POST', path: '/api/jobs/:id/cancel', query: [] },
  { method: 'POST', path: '/api/dlq/retry-all', query: [] },
  { method: 'GET', path: '/api/schedules', query: [] },
  { method: 'GET', path: '/api/queues', query: [] },
  // `:id` here is a queue name.
  { method: 'POST', path: '/api/queues/:id/pause', query: [] },
  { method: 'POST', path: '/api/queues/:id/resume', query: [] },
];

/** Values as they appear on the wire: some are malformed percent-encoding or raw bytes. */
const HOSTILE = [
  '',
  ' ',
  '0',
  '-1',
  '1.5',
  '1e3',
  '-0',
  '0x10',
  'NaN',
  'Infinity',
  '99999999999999999999999',
  '9'.repeat(300),
  'x'.repeat(6000),
  '☃',
  '\u{1F4A5}',
  '\u202e',
  '%',
  '%%',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%00',
  '\u0000',
  '\r\nX-Injected: 1',
  '..',
  '../..',
  '%2e%2e',
  '%2F',
  '/',
  '\\',
  '<script>alert(1)</script>',
  '"\'`',
  '{}',
  '[]',
  'null',
  '__proto__',
  'constructor',
  'pending',
  'stderr',
  '1',
  'wait-1',
  'ran',
];

const HEADER_VALUES = [
  ...HOSTILE.filter((v) => !v.includes('\r')),
  'Bearer ',
  'Bearer %E0%A4%A',
  `Bearer ${TOKEN}x`,
  `Bearer ${TOKEN}☃`,
  `queuectl_dashboard_token=%E0%A4%A`,
  `queuectl_dashboard_token=`,
  `queuectl_dashboard_token=${TOKEN}; queuectl_dashboard_token=%`,
  `a=%; queuectl_dashboard_token`,
  'evil.example',
  'evil.example.',
  '127.0.0.1.',
  'LOCALHOST',
  '[::1',
  '[::1]:x',
  '[::ffff:127.0.0.1]',
  '127.0.0.1:99999',
  '::1',
  'http://evil.example',
  'null',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
  'chunked',
  'cross-site',
  '-1',
  '1e9',
];

const SECRET_HEADERS = ['authorization', 'cookie', 'x-csrf-token'];

const HEADERS = [
  'host',
  'cookie',
  'authorization',
  'origin',
  'x-csrf-token',
  'content-type',
  'content-length',
  'sec-fetch-site',
  'accept',
  'transfer-encoding',
  'x-forwarded-host',
  'upgrade',
  'connection',
  'expect',
];

const METHODS = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'HEAD', 'CONNECT', 'get', 'FOO', ''];

const BODIES = [
  '',
  '{}',
  '[]',
  'null',
  '1',
  '"x"',
  '{"id":"x"}',
  '{"__proto__":{"polluted":1}}',
  'not json',
  '{',
  '\u0000',
  'a=1&b=2',
  '{"a":"' + 'x'.repeat(20_000) + '"}',
];

const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
];

let env: CliEnv;
let queue: Queue;
let dashboard: Dashboard;
let port: number;
let csrf: string;
const errors: unknown[] = [];

beforeAll(async () => {
  const home = tempDir();
  env = { home, db: join(home, 'queue.db') };
  const enqueue = async (spec: object) => {
    const result = await run(env, ['enqueue', JSON.stringify(spec)]);
    expect(result.code, result.stderr).toBe(0);
  };
  await enqueue({ id: 'ran', command: 'echo out; echo err >&2; exit 1', max_retries: 0 });
  const drained = await run(env, ['worker', 'start', '--drain', '--quiet']);
  expect(drained.code, drained.stderr).toBe(0);
  await enqueue({ id: 'wait-1', command: 'true', delay: '1h' });
  queue = new Queue(await openStore({ db: env.db }));
  dashboard = await startDashboard({
    queue,
    port: 0,
    token: TOKEN,
    onError: (error) => errors.push(error),
  });
  port = dashboard.port;
  csrf = await csrfTokenOf(port, { authorization: `Bearer ${TOKEN}` });
});

afterAll(async () => {
  await dashboard?.close();
  await queue?.close();
});

/** A request that passes every check, for an endpoint, with `ran` (a job with a run) as its id. */
function valid(endpoint: Endpoint): Required<RawRequest> {
  const headers: [string, string][] = [
    ['host', `127.0.0.1:${port}`],
    ['authorization', `Bearer ${TOKEN}`],
    ['connection', 'close'],
  ];
  if (endpoint.method === 'POST') {
    headers.push(
      ['origin', `http://127.0.0.1:${port}`],
      ['x-csrf-token', csrf],
      ['content-type', 'application/json'],
      ['content-length', '2'],
    );
  }
  return {
    method: endpoint.method,
    target: endpoint.path.replace(':id', 'ran'),
    headers,
    body: endpoint.method === 'POST' ? '{}' : '',
  };
}

const withHeader = (request: RawRequest, name: string, value: string): RawRequest => ({
  ...request,
  headers: [...request.headers!.filter(([n]) => n !== name), [name, value]],
});

const forms = (value: string) => [value, encodeURIComponent(value)];

interface Case {
  what: string;
  request: RawRequest;
}

function* cases(): Generator<Case> {
  for (const endpoint of ENDPOINTS) {
    const base = valid(endpoint);
    const where = `${endpoint.method} ${endpoint.path}`;
    // Path segments: the job id, and the shape of the path itself.
    if (endpoint.path.includes(':id')) {
      for (const value of HOSTILE) {
        for (const form of forms(value)) {
          yield {
            what: `${where} id=${JSON.stringify(form)}`,
            request: { ...base, target: endpoint.path.replace(':id', form) },
          };
        }
      }
    }
    const path = base.target;
    for (const target of [
      `${path}/`,
      `${path}/..`,
      `${path}/%2e%2e/%2e%2e`,
      `${path}%00`,
      `${path}%`,
      `${path}?`,
      `${path}#x`,
      `${path}?&&=&`,
      `/${path}`,
      `${path.toUpperCase()}`,
      `//[${path}`,
      `http://evil.example${path}`,
      `http://[${path}`,
      '*',
      '',
      `${path}?${'a'.repeat(100_000)}`,
      `${path}/${'x'.repeat(10_000)}`,
    ]) {
      yield {
        what: `${where} target=${JSON.stringify(target.slice(0, 60))}`,
        request: { ...base, target },
      };
    }
    // Query parameters: its own, a parameter it does not take, and the login token.
    for (const name of new Set([...endpoint.query, 'limit', 'token', 'zzz'])) {
      for (const value of HOSTILE) {
        for (const form of forms(value)) {
          const sep = base.target.includes('?') ? '&' : '?';
          yield {
            what: `${where} ?${name}=${JSON.stringify(form).slice(0, 60)}`,
            request: { ...base, target: `${base.target}${sep}${name}=${form}` },
          };
        }
      }
      for (const query of [`${name}=1&${name}=2`, `${name}`, `${name}[]=1`, `${name}=`]) {
        yield {
          what: `${where} ?${query}`,
          request: { ...base, target: `${base.target}?${query}` },
        };
      }
    }
    // Headers: each alone with each value, repeated, and the cookie without a bearer token.
    for (const name of HEADERS) {
      for (const value of HEADER_VALUES) {
        const request = withHeader(base, name, value);
        yield { what: `${where} ${name}: ${JSON.stringify(value).slice(0, 60)}`, request };
        yield {
          what: `${where} ${name} twice: ${JSON.stringify(value).slice(0, 60)}`,
          request: { ...request, headers: [...base.headers, [name, value]] },
        };
      }
    }
    for (const value of HEADER_VALUES) {
      const noBearer = { ...base, headers: base.headers.filter(([n]) => n !== 'authorization') };
      for (const cookie of [value, `queuectl_dashboard_token=${value}`]) {
        yield {
          what: `${where} cookie ${JSON.stringify(cookie).slice(0, 60)}`,
          request: withHeader(noBearer, 'cookie', cookie),
        };
      }
    }
    yield {
      what: `${where} without a Host`,
      request: { ...base, headers: base.headers.filter(([n]) => n !== 'host') },
    };
    yield {
      what: `${where} with 200 extra headers`,
      request: {
        ...base,
        headers: [
          ...base.headers,
          ...Array.from({ length: 200 }, (_, i): [string, string] => [`x-${i}`, 'v']),
        ],
      },
    };
    yield {
      what: `${where} with a 40 KiB header`,
      request: withHeader(base, 'x-big', 'x'.repeat(40_000)),
    };
    for (const method of METHODS) {
      yield { what: `${method} ${endpoint.path}`, request: { ...base, method } };
    }
    if (endpoint.method === 'POST') {
      for (const body of BODIES) {
        for (const type of CONTENT_TYPES) {
          const request = withHeader(
            withHeader(base, 'content-type', type),
            'content-length',
            String(Buffer.byteLength(body)),
          );
          yield {
            what: `${where} ${type} body ${JSON.stringify(body).slice(0, 40)}`,
            request: { ...request, body },
          };
        }
      }
      const chunked = base.headers.filter(([n]) => n !== 'content-length');
      yield {
        what: `${where} chunked body past the limit`,
        request: {
          ...base,
          headers: [...chunked, ['transfer-encoding', 'chunked']],
          body: `${(20_000).toString(16)}\r\n${'x'.repeat(20_000)}\r\n0\r\n\r\n`,
        },
      };
      yield {
        what: `${where} declared length past the limit`,
        request: withHeader(base, 'content-length', String(10 ** 9)),
      };
    }
  }
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

describe('dashboard under hostile requests', () => {
  it('answers every generated case with a 4xx and a JSON message, or a success; never a 5xx', async () => {
    const all = [...cases()];
    expect(all.length).toBeGreaterThan(5000);
    const bad: string[] = [];
    const answered = new Map<number, number>();
    await pool(all, 16, async ({ what, request }) => {
      let reply: RawReply;
      try {
        reply = await rawRequest(port, request);
      } catch (error) {
        bad.push(`${what}: ${String(error)}`);
        return;
      }
      answered.set(reply.status, (answered.get(reply.status) ?? 0) + 1);
      const problem = judge(request, reply);
      if (problem) bad.push(`${what}: ${problem}`);
    });
    expect(bad.slice(0, 40), `${bad.length} of ${all.length} cases went wrong`).toEqual([]);
    expect(errors.map(String)).toEqual([]);
    // The table reached the handlers, not only the checks in front of them.
    expect(answered.get(200)).toBeGreaterThan(100);
    expect(answered.get(400)).toBeGreaterThan(1000);
    const after = await rawRequest(port, valid(ENDPOINTS[4]!));
    expect(after.status).toBe(200);
  });
});

function judge(request: RawRequest, reply: RawReply): string | null {
  if (reply.status >= 500) return `answered ${reply.status}: ${reply.body.slice(0, 200)}`;
  if (reply.status === 0) return 'closed without an answer';
  if (reply.status < 400 || request.method === 'HEAD') return null;
  try {
    const body = JSON.parse(reply.body) as { error?: unknown };
    if (typeof body.error !== 'string' || body.error.length === 0) return `no error message`;
    // The secrets travel in Authorization, Cookie and X-CSRF-Token: no answer repeats them.
    const elsewhere = [
      request.target,
      ...request.headers!.filter(([n]) => !SECRET_HEADERS.includes(n)).map(([, v]) => v),
    ];
    for (const secret of [TOKEN, csrf]) {
      if (body.error.includes(secret) && !elsewhere.some((v) => v.includes(secret))) {
        return 'the error repeats a secret';
      }
    }
  } catch {
    return `answered ${reply.status} without a JSON message: ${JSON.stringify(reply.body.slice(0, 100))}`;
  }
  return null;
}
