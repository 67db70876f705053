/**
 * HTTP/1.1 over a plain socket, byte for byte as given: for requests node:http and fetch refuse
 * to send (bad methods, malformed targets, raw NUL or unicode, duplicate or broken headers).
 */
import { connect, type Socket } from 'node:net';

export interface RawReply {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawRequest {
  method?: string;
  target: string;
  /** Sent in order; a name may repeat. */
  headers?: [string, string][];
  body?: string;
}

export function rawRequest(
  port: number,
  request: RawRequest,
  timeoutMs = 10_000,
): Promise<RawReply> {
  const method = request.method ?? 'GET';
  const head =
    `${method} ${request.target} HTTP/1.1\r\n` +
    (request.headers ?? []).map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (error: Error | null, reply?: RawReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () =>
        finish(new Error(`no complete answer in ${timeoutMs} ms to ${method} ${request.target}`)),
      timeoutMs,
    );
    const parsed = () => parseReply(data, method === 'HEAD');
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const reply = parsed();
      if (reply?.complete) finish(null, reply.reply);
    });
    socket.on('error', () => {}); // a reset after the answer is fine; 'close' decides
    socket.on('close', () => finish(null, parsed()?.reply ?? { status: 0, headers: {}, body: '' }));
    socket.write(Buffer.from(head, 'utf8'));
    if (request.body !== undefined) socket.write(Buffer.from(request.body, 'utf8'));
  });
}

function parseReply(data: Buffer, isHead: boolean): { reply: RawReply; complete: boolean } | null {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1] ?? 0);
  const bodyBytes = data.subarray(end + 4);
  const reply = { status, headers, body: bodyBytes.toString('utf8') };
  // A stream (server-sent events) never ends: its head is the answer.
  if (isHead || headers['content-type']?.startsWith('text/event-stream')) {
    return { reply, complete: true };
  }
  const length = headers['content-length'];
  return { reply, complete: length !== undefined && bodyBytes.length >= Number(length) };
}

/** Opens a connection and hands it over, for tests that pace their own bytes. */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}
