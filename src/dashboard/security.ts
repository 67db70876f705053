/**
 * The dashboard's request checks, safe by default: a Host allow-list (against DNS rebinding), an
 * access token whenever one is configured (required off loopback), and for state changes POST
 * only, a same-origin Origin and a per-server CSRF token. Every header is read defensively: a
 * malformed value is refused with a 4xx, never an exception.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { shown } from './params.js';

export const TOKEN_COOKIE = 'queuectl_dashboard_token';
export const CSRF_HEADER = 'x-csrf-token';

export interface SecurityOptions {
  /** Host names a request may name besides the loopback ones (normalized by hostName). */
  allowedHosts: ReadonlySet<string>;
  /** Required on every request when set. */
  token: string | null;
  csrfToken: string;
}

export type Verdict = { ok: true } | { ok: false; status: number; message: string };

export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

/** 0.0.0.0 or ::, every address of the machine. */
export function isWildcard(bind: string): boolean {
  return ['0.0.0.0', '::', '[::]', ''].includes(bind);
}

export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    name === 'localhost' ||
    name === '::1' ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  );
}

const NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/**
 * The host name in a Host header value (`name[:port]`, `[ipv6][:port]`): lower-cased, without
 * port, brackets or a trailing dot. Null when the value is not of that form.
 */
export function hostName(value: string): string | null {
  const text = value.trim().toLowerCase();
  let name: string;
  let port: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return null;
    name = text.slice(1, close);
    port = text.slice(close + 1);
    if (!isIPv6(name)) return null;
  } else {
    const colon = text.indexOf(':');
    name = (colon === -1 ? text : text.slice(0, colon)).replace(/\.$/, '');
    port = colon === -1 ? '' : text.slice(colon);
    if (name.length > 253 || !NAME.test(name)) return null;
  }
  if (port !== '' && !(/^:\d{1,5}$/.test(port) && Number(port.slice(1)) <= 65_535)) return null;
  return name;
}

/** A name as given to --allowed-host or --host (an IPv6 address with or without brackets). */
export function bindName(value: string): string | null {
  const text = value.trim();
  return hostName(isIPv6(text) ? `[${text}]` : text);
}

/**
 * The Host names a dashboard bound to `bind` answers, besides any loopback name: the bound
 * address, for a wildcard bind this machine's addresses and host name, and `extra`.
 */
export function acceptedHosts(bind: string, extra: string[]): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  if (isWildcard(bind)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? [])
        names.add(address.address.split('%')[0]!.toLowerCase());
    }
    const self = bindName(hostname());
    if (self) names.add(self);
  } else {
    const bound = bindName(bind);
    if (bound) names.add(bound);
  }
  for (const name of extra) names.add(name);
  return [...names];
}

/** DNS rebinding: a page from evil.example resolved to 127.0.0.1 still says Host: evil.example. */
export function checkHost(req: IncomingMessage, options: SecurityOptions): Verdict {
  const header = req.headers.host;
  if (!header) return { ok: false, status: 400, message: 'a Host header is required' };
  if (
    req.rawHeaders.filter((_, i) => i % 2 === 0 && /^host$/i.test(req.rawHeaders[i]!)).length > 1
  ) {
    return { ok: false, status: 400, message: 'a request may carry one Host header only' };
  }
  const name = hostName(header);
  if (name === null) {
    return {
      ok: false,
      status: 400,
      message: `the Host header ${shown(header)} is not a host[:port]`,
    };
  }
  if (isLoopback(name) || options.allowedHosts.has(name)) return { ok: true };
  return {
    ok: false,
    status: 421,
    message: `requests for host ${shown(name)} are refused; the dashboard accepts it when started with --allowed-host ${name}`,
  };
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Every value of a cookie, percent-decoded where the encoding is well-formed. */
function cookieValues(req: IncomingMessage, name: string): string[] {
  const values: string[] = [];
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      values.push(decodeURIComponent(raw));
    } catch {
      values.push(raw);
    }
  }
  return values;
}

/** The tokens a request presents: `Authorization: Bearer`, the cookie, and (from a link) `?token=`. */
function presentedTokens(req: IncomingMessage, query: URLSearchParams): string[] {
  const given = [...cookieValues(req, TOKEN_COOKIE), ...query.getAll('token')];
  const bearer = /^bearer +(.*)$/i.exec(req.headers.authorization ?? '');
  if (bearer) given.push(bearer[1]!.trim());
  return given;
}

/**
 * Any presented token that matches will do: a browser may still hold the cookie of an earlier
 * run (another token) when it opens the new printed link.
 */
export function checkToken(
  req: IncomingMessage,
  query: URLSearchParams,
  options: SecurityOptions,
): Verdict {
  const token = options.token;
  if (!token) return { ok: true };
  if (presentedTokens(req, query).some((given) => sameSecret(given, token))) return { ok: true };
  return { ok: false, status: 401, message: 'an access token is required (open the printed URL)' };
}

/** For POSTs: same Origin (when the browser says), not cross-site, and the page's CSRF token. */
export function checkStateChange(req: IncomingMessage, options: SecurityOptions): Verdict {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`) {
    return { ok: false, status: 403, message: `requests from origin ${shown(origin)} are refused` };
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

/** The query parameters that log a browser in: the token itself, or a one-time code. */
export const LOGIN_PARAMS = ['token', 'login'];

/**
 * One-time login codes for `--open`: the browser's argv is readable by every user, so it is
 * given a code that works once, within a minute, instead of the token.
 */
export class LoginCodes {
  private readonly codes = new Map<string, number>();

  constructor(private readonly ttlMs = 60_000) {}

  mint(): string {
    const now = Date.now();
    for (const [code, expires] of this.codes) if (expires < now) this.codes.delete(code);
    const code = randomBytes(18).toString('base64url');
    this.codes.set(code, now + this.ttlMs);
    return code;
  }

  redeem(code: string): boolean {
    const expires = this.codes.get(code);
    this.codes.delete(code);
    return expires !== undefined && expires >= Date.now();
  }
}

/**
 * Where a login redirects: the same path without the login parameters, or `/` when the path
 * could lead elsewhere (`//other.host`) or does not fit in a header.
 */
export function afterLogin(path: string, query: URLSearchParams): string {
  const rest = new URLSearchParams(query);
  for (const name of LOGIN_PARAMS) rest.delete(name);
  const search = rest.size ? `?${rest}` : '';
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(path) && !path.includes('\\') ? `${path}${search}` : '/';
}
