/**
 * The dashboard's HTTP server (node:http): the page and its scripts, the JSON API, live updates
 * over server-sent events, and /metrics. Every request passes the checks in security.ts first.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConflictError, NotFoundError, QueuectlError } from '../core/errors.js';
import type { Queue } from '../core/queue.js';
import { matchRoute, runRoute } from './api-routes.js';
import { HttpError, PAGE_CSP, send, sendError } from './http.js';
import { LiveUpdates, type LiveUpdateOptions } from './live-updates.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { pageHtml, PAGE_CSS } from './page.js';
import {
  checkHost,
  checkStateChange,
  checkToken,
  isLoopback,
  newCsrfToken,
  TOKEN_COOKIE,
  type SecurityOptions,
  type Verdict,
} from './security.js';

export interface DashboardOptions {
  queue: Queue;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Required on every request when set; required to bind off loopback. */
  token?: string | null;
  live?: LiveUpdateOptions;
  onError?: (error: unknown) => void;
}

export interface Dashboard {
  /** The page's address; with the token in it when one is set, so it can be opened directly. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The browser modules, compiled by tsc next to this file. */
const CLIENT_FILES = new Set(['app.js', 'charts.js', 'dom.js', 'api.js']);
const CLIENT_DIR = new URL('./client/', import.meta.url);

export class UnsafeBindError extends QueuectlError {}

function statusFor(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof QueuectlError) return 400;
  return 500;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token || null;
  if (!isLoopback(host) && !token) {
    throw new UnsafeBindError(
      `binding to ${host} exposes the queue to the network; give an access token with --token (or QUEUECTL_DASHBOARD_TOKEN)`,
    );
  }
  const onError = options.onError ?? ((error) => console.error(error));
  const security: SecurityOptions = { host, token, csrfToken: newCsrfToken() };
  const live = new LiveUpdates(options.queue, onError, options.live);
  const queue = options.queue;

  const refuse = (res: ServerResponse, verdict: Verdict): boolean => {
    if (verdict.ok) return false;
    sendError(res, verdict.status, verdict.message);
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (refuse(res, checkHost(req, security)) || refuse(res, checkToken(req, url, security))) {
      return;
    }
    const method = req.method ?? 'GET';
    if (token && url.searchParams.has('token') && method === 'GET') {
      // Logged in from the printed link: keep the token in a cookie, drop it from the address bar.
      url.searchParams.delete('token');
      res.writeHead(303, {
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      sendError(res, 405, `method ${method} is not allowed`);
      return;
    }
    if (method === 'POST' && refuse(res, checkStateChange(req, security))) return;
    const path = url.pathname;

    if (path.startsWith('/api/')) {
      if (path === '/api/events' && method === 'GET') {
        live.add(res);
        return;
      }
      const matched = matchRoute(method, path);
      if (matched === 'wrong-method') {
        sendError(res, 405, `${method} is not allowed on ${path}`);
      } else if (matched === null) {
        sendError(res, 404, `no API endpoint ${path}`);
      } else {
        await runRoute(matched, { queue, req, res, url });
      }
      return;
    }
    if (method === 'POST') {
      sendError(res, 405, `POST is not allowed on ${path}`);
      return;
    }
    if (path === '/') {
      send(res, 200, pageHtml(security.csrfToken), 'text/html; charset=utf-8', {
        'content-security-policy': PAGE_CSP,
      });
    } else if (path === '/style.css') {
      send(res, 200, PAGE_CSS, 'text/css; charset=utf-8');
    } else if (path === '/metrics') {
      send(res, 200, await renderMetrics(queue), METRICS_CONTENT_TYPE);
    } else if (path.startsWith('/js/') && CLIENT_FILES.has(path.slice(4))) {
      const source = await readFile(new URL(path.slice(4), CLIENT_DIR), 'utf8').catch(() => null);
      if (source === null) sendError(res, 404, `${path} is missing; run npm run build`);
      else send(res, 200, source, 'text/javascript; charset=utf-8');
    } else {
      sendError(res, 404, `nothing at ${path}`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = statusFor(error);
      if (status === 500) onError(error);
      if (res.headersSent) res.end();
      else sendError(res, status, error instanceof Error ? error.message : String(error));
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const shownHost = shown === '0.0.0.0' || shown === '[::]' ? 'localhost' : shown;
  return {
    url: `http://${shownHost}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`,
    port,
    close: async () => {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
