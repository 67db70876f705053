/**
 * The JSON API under /api that the page uses. Reads are GET; every change is a POST (the server
 * checks Origin and the CSRF token before a POST gets here). All of it goes through Queue.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from '../core/queue.js';
import { HttpError, readJsonBody, sendJson } from './http.js';
import { overview } from './overview.js';

/** At most this much of a stream is sent; past it, the end of the output is shown. */
const OUTPUT_CAP_BYTES = 256 * 1024;

type Handler = (ctx: {
  queue: Queue;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
}) => Promise<unknown>;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handle: Handler;
}

const ID = '([^/]+)';

export const API_ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/api\/overview$/, handle: ({ queue }) => overview(queue) },
  {
    method: 'GET',
    pattern: /^\/api\/jobs$/,
    handle: async ({ queue, url }) => {
      const q = url.searchParams;
      const limit = Number(q.get('limit') ?? 25);
      // One extra row tells whether an older page exists.
      const jobs = await queue.list({
        state: q.get('state') || undefined,
        search: q.get('search') || undefined,
        before: q.get('before') || undefined,
        limit: limit + 1,
      });
      const page = jobs.slice(0, limit);
      return { jobs: page, next: jobs.length > limit ? page[page.length - 1]!.id : null };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${ID}$`),
    handle: ({ queue, params }) => queue.show(params[0]!),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/api/jobs/${ID}/output$`),
    handle: ({ queue, params, url }) =>
      queue.output(params[0]!, {
        stream: url.searchParams.get('stream') ?? 'stdout',
        attempt: url.searchParams.get('attempt'),
        capBytes: OUTPUT_CAP_BYTES,
      }),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/jobs/${ID}/retry$`),
    handle: async ({ queue, params, req }) => {
      await readJsonBody(req);
      return { job: await queue.retryDead(params[0]!) };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/jobs/${ID}/delete$`),
    handle: async ({ queue, params, req }) => {
      await readJsonBody(req);
      await queue.deleteJob(params[0]!);
      return { deleted: params[0] };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/api/jobs/${ID}/cancel$`),
    handle: async ({ queue, params, req }) => {
      await readJsonBody(req);
      await queue.cancel(params[0]!);
      return { cancelled: params[0] };
    },
  },
  {
    method: 'POST',
    pattern: /^\/api\/dlq\/retry-all$/,
    handle: async ({ queue, req }) => {
      await readJsonBody(req);
      return { retried: await queue.retryAllDead() };
    },
  },
];

/** Finds the route for a path: null when none matches, 'wrong-method' when only the method is off. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: string[] } | null | 'wrong-method' {
  let pathMatched = false;
  for (const route of API_ROUTES) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method === method || (route.method === 'GET' && method === 'HEAD')) {
      try {
        return { route, params: match.slice(1).map((p) => decodeURIComponent(p)) };
      } catch {
        throw new HttpError(400, 'malformed path');
      }
    }
  }
  return pathMatched ? 'wrong-method' : null;
}

export async function runRoute(
  matched: { route: Route; params: string[] },
  ctx: { queue: Queue; req: IncomingMessage; res: ServerResponse; url: URL },
): Promise<void> {
  sendJson(ctx.res, 200, await matched.route.handle({ ...ctx, params: matched.params }));
}
