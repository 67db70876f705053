/** Plain node:http requests, so tests can send any Host, Origin or body (fetch forbids some). */
import { request as httpRequest } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function request(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The CSRF token the page embeds, read the way the page's script reads it. */
export async function csrfTokenOf(port: number, headers: Record<string, string> = {}) {
  const page = await request(port, '/', { headers });
  const token = /name="csrf-token" content="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no CSRF token in the page (status ${page.status})`);
  return token;
}
