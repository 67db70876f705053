/**
 * The dashboard's request checks, safe by default: a Host allow-list (against DNS rebinding), an
 * access token whenever one is configured (required off loopback), and for state changes POST
 * only, a same-origin Origin and a per-server CSRF token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'queuectl_dashboard_token';
export const CSRF_HEADER = 'x-csrf-token';

export interface SecurityOptions {
  /** The address the server is bound to, as given (127.0.0.1, ::1, localhost, 0.0.0.0, a name). */
  host: string;
  /** Required on every request when set. */
  token: string | null;
  csrfToken: string;
}

export type Verdict = { ok: true } | { ok: false; status: number; message: string };

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** The host name of a Host header value, lower-cased and without port or IPv6 brackets. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/** DNS rebinding: a page from evil.example resolved to 127.0.0.1 still says Host: evil.example. */
export function checkHost(req: IncomingMessage, options: SecurityOptions): Verdict {
  const header = req.headers.host;
  if (!header) return { ok: false, status: 400, message: 'a Host header is required' };
  const name = hostName(header);
  const bound = hostName(options.host.includes(':') ? `[${options.host}]` : options.host);
  // Bound to every address, the token (required there) is what keeps strangers out.
  if (WILDCARDS.has(bound) && options.token) return { ok: true };
  if (name === 'localhost' || name === bound || (isLoopback(bound) && isLoopback(name))) {
    return { ok: true };
  }
  return { ok: false, status: 421, message: `requests for host "${name}" are refused` };
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** The token from `Authorization: Bearer`, the cookie, or (to log in from a link) `?token=`. */
export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return cookie(req, TOKEN_COOKIE) ?? url.searchParams.get('token');
}

export function checkToken(req: IncomingMessage, url: URL, options: SecurityOptions): Verdict {
  if (!options.token) return { ok: true };
  const given = presentedToken(req, url);
  if (given !== null && sameSecret(given, options.token)) return { ok: true };
  return { ok: false, status: 401, message: 'an access token is required (open the printed URL)' };
}

/** For POSTs: same Origin (when the browser says), not cross-site, and the page's CSRF token. */
export function checkStateChange(req: IncomingMessage, options: SecurityOptions): Verdict {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) {
    return { ok: false, status: 403, message: `requests from origin ${origin} are refused` };
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') {
    return { ok: false, status: 403, message: 'cross-site requests are refused' };
  }
  const csrf = req.headers[CSRF_HEADER];
  if (typeof csrf !== 'string' || !sameSecret(csrf, options.csrfToken)) {
    return { ok: false, status: 403, message: 'a valid CSRF token is required' };
  }
  return { ok: true };
}
