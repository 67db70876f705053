/**
 * The dashboard's HTTP server (node:http): the page and its scripts, the JSON API, live updates
 * over server-sent events, and /metrics. Every request passes the checks in security.ts, then the
 * route table (routes.ts) parses its parameters; a client's mistake is a 4xx with a JSON message.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { QueuectlError } from '../core/errors.js';
import type { Queue } from '../core/queue.js';
import { checkAccessToken } from './access-token.js';
import { rawErrorResponse, send, sendError, statusFor } from './http.js';
import { LiveUpdates, type LiveUpdateOptions } from './live-updates.js';
import { matchRoute, parseTarget, runRoute, type RequestTarget, type Services } from './routes.js';
import {
  acceptedHosts,
  afterLogin,
  checkHost,
  checkStateChange,
  checkToken,
  isLoopback,
  LoginCodes,
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
  /** Host names accepted besides loopback names and the bound address (normalized, see bindName). */
  allowedHosts?: string[];
  /** A client must have sent a request's headers within this long (default 10 s). */
  headersTimeoutMs?: number;
  /** ... and its body within this long (default 30 s). */
  requestTimeoutMs?: number;
  live?: LiveUpdateOptions;
  onError?: (error: unknown) => void;
}

export interface Dashboard {
  /** The page's address; with the token in it when one is set, so it can be opened directly. */
  url: string;
  port: number;
  /** A link that logs a browser in once, within a minute, without the token in it. */
  loginUrl(): string;
  /** The Host names requests may carry. */
  acceptedHosts: string[];
  close(): Promise<void>;
}

export class UnsafeBindError extends QueuectlError {}

/** Off loopback, the queue is open to the network: only with an access token. */
export function checkBind(host: string, token: string | null): void {
  if (!isLoopback(host) && !token) {
    throw new UnsafeBindError(
      `binding to ${host} exposes the queue to the network; give an access token with QUEUECTL_DASHBOARD_TOKEN or --token-file`,
    );
  }
}

export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ? checkAccessToken(options.token, 'the token option') : null;
  checkBind(host, token);
  const onError = options.onError ?? ((error) => console.error(error));
  const hosts = acceptedHosts(host, options.allowedHosts ?? []);
  const security: SecurityOptions = {
    allowedHosts: new Set(hosts),
    token,
    csrfToken: newCsrfToken(),
  };
  const live = new LiveUpdates(options.queue, onError, options.live);
  const services: Services = { queue: options.queue, live, csrfToken: security.csrfToken };

  const logins = new LoginCodes();

  /** Keeps the token in a cookie, and drops it from the address bar. */
  function logIn(res: ServerResponse, token: string, target: RequestTarget): void {
    res.writeHead(303, {
      location: afterLogin(target.path, target.query),
      'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      'cache-control': 'no-store',
      'content-length': 0,
    });
    res.end();
  }

  const refuse = (res: ServerResponse, verdict: Verdict): boolean => {
    if (verdict.ok) return false;
    sendError(res, verdict.status, verdict.message);
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseTarget(req.url);
    const method = req.method ?? 'GET';
    if (refuse(res, checkHost(req, security))) return;
    const code = target.query.get('login');
    if (token && code !== null && method === 'GET') {
      if (logins.redeem(code)) return logIn(res, token, target);
      return sendError(res, 401, 'this login link was used or has expired; open the printed URL');
    }
    if (refuse(res, checkToken(req, target.query, security))) return;
    if (token && target.query.has('token') && method === 'GET') return logIn(res, token, target);
    if (method === 'POST' && refuse(res, checkStateChange(req, security))) return;
    const reply = await runRoute(matchRoute(method, target), { services, req, res });
    if (reply) send(res, reply);
  }

  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const server = createServer(
    {
      // A request without Host is refused by checkHost, with a JSON message like the rest.
      requireHostHeader: false,
      headersTimeout,
      requestTimeout: Math.max(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, headersTimeout),
      // node:http checks both limits only this often (30 s by default, so a client trickling
      // its headers could hold a connection for up to 30 s past the limit).
      connectionsCheckingInterval: Math.min(1000, Math.max(50, headersTimeout / 4)),
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        const status = statusFor(error);
        if (status === 500) onError(error);
        if (res.headersSent) res.end();
        else if (status === 500) sendError(res, 500, 'internal error in queuectl; see its log');
        else sendError(res, status, (error as Error).message);
      });
    },
  );
  // Requests node:http cannot parse (or that time out) get the same JSON errors as the rest.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A bad body after good headers: the request was answered; deliver that, then close.
    if (socket.bytesWritten > 0) {
      socket.end();
      return;
    }
    const [status, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request line and headers are too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request was not received in time']
          : [400, 'malformed HTTP request'];
    socket.end(rawErrorResponse(status, message));
  });
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    sendError(res, 417, 'only "Expect: 100-continue" is understood');
  });
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.end(rawErrorResponse(405, 'CONNECT is not allowed'));
  });

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
  const base = `http://${shownHost}:${port}/`;
  return {
    url: token ? `${base}?token=${encodeURIComponent(token)}` : base,
    loginUrl: () => (token ? `${base}?login=${logins.mint()}` : base),
    port,
    acceptedHosts: hosts,
    close: async () => {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
