/** Small helpers for node:http responses and bodies; every response carries the safety headers. */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { ConflictError, NotFoundError, QueuectlError, ValidationError } from '../core/errors.js';

/** Request bodies past this size are refused (the API takes no large input). */
export const MAX_BODY_BYTES = 16 * 1024;

const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a client's mistake is answered with; 500 (a bug in queuectl) for anything else. */
export function statusFor(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  // ValidationError, and any other error a user can cause.
  if (error instanceof QueuectlError) return 400;
  return 500;
}

export interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export const json = (data: unknown, status = 200): Reply => ({
  status,
  type: JSON_TYPE,
  body: JSON.stringify(data),
});

export function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    ...BASE_HEADERS,
    'content-type': reply.type,
    'content-length': Buffer.byteLength(reply.body),
    ...reply.headers,
  });
  res.end(reply.body);
}

export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  send(res, { ...json({ error: message }, status), headers });
}

/**
 * The whole answer to a request node:http could not parse (or that timed out), written on the
 * socket: the same JSON shape as every other error.
 */
export function rawErrorResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: message });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    Object.entries({ ...BASE_HEADERS, 'content-type': JSON_TYPE })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('') +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  );
}

/**
 * Reads the body of an action, which takes no parameters: empty, or {} (as application/json or
 * without a type). HttpError 413 past MAX_BODY_BYTES, 415 for another type; ValidationError for
 * anything else.
 */
export async function readEmptyBody(req: IncomingMessage): Promise<void> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
    throw new HttpError(413, `request body too large (at most ${MAX_BODY_BYTES} bytes)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        throw new HttpError(413, `request body too large (at most ${MAX_BODY_BYTES} bytes)`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'the request body was cut short');
  }
  // A client cut for sending too slowly (requestTimeout) ends the stream early without an error:
  // a part of a request is never acted on.
  if (!req.complete) throw new HttpError(400, 'the request body was cut short');
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return;
  const type = req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
  if (type !== undefined && type !== 'application/json') {
    throw new HttpError(415, 'send the body as application/json ({} or nothing)');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError('the request body is not valid JSON; send {} or nothing');
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    Object.keys(body).length
  ) {
    throw new ValidationError('this action takes no parameters; send {} or nothing');
  }
}

export function startEventStream(res: ServerResponse): void {
  res.writeHead(200, {
    ...BASE_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
  });
  res.write('retry: 1000\n\n');
}
