/**
 * Every endpoint in one table: its method, its path (`:id` is a job id), the query parameters it
 * takes with their parsers, and a handler that receives them parsed and typed. matchRoute()
 * applies the table before any handler runs: an unknown path is 404, a wrong method 405, and a
 * malformed, repeated or unknown parameter 400. Reads are GET (HEAD too); every change is a POST
 * whose body may only be empty or {} (the server checks Origin and the CSRF token first).
 *
 * A local table rather than a router package: the API has a dozen fixed paths, and the routers
 * that fit (find-my-way, 6 packages) cost 15-20 ms to import and validate no query parameters.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Queue } from '../core/queue.js';
import { HttpError, json, PAGE_CSP, readEmptyBody, type Reply } from './http.js';
import type { LiveUpdates } from './live-updates.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { overview } from './overview.js';
import { pageHtml, PAGE_CSS } from './page.js';
import { LOGIN_PARAMS } from './security.js';
import {
  decodeSegment,
  integer,
  jobId,
  jobState,
  queueName,
  shown,
  stream,
  searchText,
  type Param,
} from './params.js';

/** At most this much of a stream is sent; past it, the end of the output is shown. */
const OUTPUT_CAP_BYTES = 256 * 1024;

/** The browser modules, compiled by tsc next to this file. */
const CLIENT_FILES = ['app.js', 'charts.js', 'dom.js', 'api.js'];
const CLIENT_DIR = new URL('./client/', import.meta.url);

/** What the handlers work with. */
export interface Services {
  queue: Queue;
  live: LiveUpdates;
  csrfToken: string;
}

type QuerySpec = Record<string, Param<unknown>>;
type QueryOf<Q extends QuerySpec> = { [K in keyof Q]?: ReturnType<Q[K]> };
type ParamsOf<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & ParamsOf<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : object;

/** Parsers of the path's `:name` segments. */
const PATH_PARAMS: Record<string, Param<string>> = {
  id: (value) => jobId(value, 'job id'),
  queue: (value) => queueName(value, 'queue name'),
};

interface Context<P, Q> {
  services: Services;
  req: IncomingMessage;
  res: ServerResponse;
  params: P;
  query: Q;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  query: QuerySpec;
  /** Null when the handler answered itself (a stream). */
  handle(ctx: Context<Record<string, string>, Record<string, unknown>>): Promise<Reply | null>;
}

function route<P extends string, Q extends QuerySpec = Record<never, never>>(spec: {
  method: 'GET' | 'POST';
  path: P;
  query?: Q;
  handle(ctx: Context<ParamsOf<P>, QueryOf<Q>>): Promise<Reply | null> | Reply | null;
}): Route {
  return {
    method: spec.method,
    path: spec.path,
    query: spec.query ?? {},
    handle: async (ctx) => spec.handle(ctx as unknown as Context<ParamsOf<P>, QueryOf<Q>>),
  };
}

const text200 = (type: string, body: string, headers?: Record<string, string>): Reply => ({
  status: 200,
  type,
  body,
  headers,
});

export const ROUTES: Route[] = [
  route({
    method: 'GET',
    path: '/',
    handle: ({ services }) =>
      text200('text/html; charset=utf-8', pageHtml(services.csrfToken), {
        'content-security-policy': PAGE_CSP,
      }),
  }),
  route({
    method: 'GET',
    path: '/style.css',
    handle: () => text200('text/css; charset=utf-8', PAGE_CSS),
  }),
  ...CLIENT_FILES.map((file) =>
    route({
      method: 'GET',
      path: `/js/${file}`,
      handle: async () => {
        const source = await readFile(new URL(file, CLIENT_DIR), 'utf8').catch(() => null);
        if (source === null) throw new HttpError(404, `/js/${file} is missing; run npm run build`);
        return text200('text/javascript; charset=utf-8', source);
      },
    }),
  ),
  route({
    method: 'GET',
    path: '/metrics',
    handle: async ({ services }) =>
      text200(METRICS_CONTENT_TYPE, await renderMetrics(services.queue)),
  }),
  route({
    method: 'GET',
    path: '/api/overview',
    handle: async ({ services }) => json(await overview(services.queue)),
  }),
  route({
    method: 'GET',
    path: '/api/events',
    handle: ({ services, req, res }) => {
      if (req.method === 'HEAD') return text200('text/event-stream; charset=utf-8', '');
      services.live.add(res);
      return null;
    },
  }),
  route({
    method: 'GET',
    path: '/api/jobs',
    query: {
      state: jobState,
      search: searchText,
      before: jobId,
      limit: integer(1, 1000),
      queue: queueName,
    },
    handle: async ({ services, query }) => {
      const limit = query.limit ?? 25;
      // One extra row tells whether an older page exists.
      const jobs = await services.queue.list({ ...query, limit: limit + 1 });
      const page = jobs.slice(0, limit);
      return json({ jobs: page, next: jobs.length > limit ? page[page.length - 1]!.id : null });
    },
  }),
  route({
    method: 'GET',
    path: '/api/jobs/:id',
    handle: async ({ services, params }) => json(await services.queue.show(params.id)),
  }),
  route({
    method: 'GET',
    path: '/api/jobs/:id/output',
    query: { stream, attempt: integer(1, 999_999_999) },
    handle: async ({ services, params, query }) =>
      json(
        await services.queue.output(params.id, {
          stream: query.stream ?? 'stdout',
          attempt: query.attempt === undefined ? null : String(query.attempt),
          capBytes: OUTPUT_CAP_BYTES,
        }),
      ),
  }),
  route({
    method: 'POST',
    path: '/api/jobs/:id/retry',
    handle: async ({ services, params }) =>
      json({ job: await services.queue.retryDead(params.id) }),
  }),
  route({
    method: 'POST',
    path: '/api/jobs/:id/delete',
    handle: async ({ services, params }) => {
      await services.queue.deleteJob(params.id);
      return json({ deleted: params.id });
    },
  }),
  route({
    method: 'POST',
    path: '/api/jobs/:id/cancel',
    handle: async ({ services, params }) => {
      const [result] = await services.queue.cancel([params.id]);
      return json({ cancelled: params.id, stopping: result!.stopping });
    },
  }),
  route({
    method: 'POST',
    path: '/api/dlq/retry-all',
    handle: async ({ services }) => json({ retried: await services.queue.retryAllDead() }),
  }),
  // Issue 15: recurring schedules (never their environment's values).
  route({
    method: 'GET',
    path: '/api/schedules',
    handle: async ({ services }) => json({ schedules: await services.queue.scheduleList() }),
  }),
  // --- Named queues (issue 14) ---
  route({
    method: 'GET',
    path: '/api/queues',
    handle: async ({ services }) => json({ queues: await services.queue.queues() }),
  }),
  ...(['pause', 'resume'] as const).map((action) =>
    route({
      method: 'POST',
      path: `/api/queues/:queue/${action}`,
      handle: async ({ services, params }) => {
        // Only queues that exist: a name mistyped in a request makes no new paused queue.
        const known = (await services.queue.queues()).map((q) => q.name);
        if (!known.includes(params.queue)) {
          throw new NotFoundError(`no queue named "${params.queue}"`);
        }
        const [changed] = await services.queue[action]([params.queue]);
        return json({ queue: changed });
      },
    }),
  ),
];

export interface RequestTarget {
  /** As sent: still percent-encoded. */
  path: string;
  query: URLSearchParams;
}

/** The path and query of a request; only the origin form (`/path?query`) is served. */
export function parseTarget(url: string | undefined): RequestTarget {
  const target = url ?? '';
  if (!target.startsWith('/')) {
    throw new HttpError(
      400,
      `the request target must be a path starting with "/", not ${shown(target)}`,
    );
  }
  const mark = target.indexOf('?');
  return mark === -1
    ? { path: target, query: new URLSearchParams() }
    : { path: target.slice(0, mark), query: new URLSearchParams(target.slice(mark + 1)) };
}

export interface Matched {
  route: Route;
  params: Record<string, string>;
  query: Record<string, unknown>;
}

/** Finds the route for a request and parses its parameters; throws what to answer when it cannot. */
export function matchRoute(method: string, target: RequestTarget): Matched {
  const segments = target.path.split('/');
  const shaped = ROUTES.filter((r) => sameShape(r.path.split('/'), segments));
  const route = shaped.find(
    (r) => r.method === method || (r.method === 'GET' && method === 'HEAD'),
  );
  if (!route) {
    if (shaped.length === 0) throw new HttpError(404, `nothing at ${shown(target.path)}`);
    const allowed = shaped.map((r) => r.method).join(', ');
    throw new HttpError(405, `${method} is not allowed on ${shown(target.path)}; use ${allowed}`);
  }
  const params: Record<string, string> = {};
  route.path.split('/').forEach((part, i) => {
    if (part.startsWith(':'))
      params[part.slice(1)] = PATH_PARAMS[part.slice(1)]!(
        decodeSegment(segments[i]!),
        part.slice(1),
      );
  });
  return { route, params, query: parseQuery(route, target.query) };
}

function sameShape(pattern: string[], segments: string[]): boolean {
  return (
    pattern.length === segments.length &&
    pattern.every((part, i) => part.startsWith(':') || part === segments[i])
  );
}

/** Each parameter at most once; an empty value counts as not given. */
function parseQuery(route: Route, query: URLSearchParams): Record<string, unknown> {
  const parsed: Record<string, unknown> = {};
  const known = Object.keys(route.query);
  for (const name of new Set(query.keys())) {
    if (LOGIN_PARAMS.includes(name)) continue; // read by security.ts
    const parse = Object.hasOwn(route.query, name) ? route.query[name] : undefined;
    if (!parse) {
      const takes = known.length ? `it takes ${known.join(', ')}` : 'it takes none';
      throw new ValidationError(`unknown parameter ${shown(name)} for ${route.path}; ${takes}`);
    }
    const values = query.getAll(name);
    if (values.length > 1)
      throw new ValidationError(`${name} is given ${values.length} times; give it once`);
    if (values[0] !== '') parsed[name] = parse(values[0]!, name);
  }
  return parsed;
}

export async function runRoute(
  matched: Matched,
  ctx: { services: Services; req: IncomingMessage; res: ServerResponse },
): Promise<Reply | null> {
  if (matched.route.method === 'POST') await readEmptyBody(ctx.req);
  else if (ctx.req.headers['transfer-encoding'] || Number(ctx.req.headers['content-length'])) {
    throw new ValidationError(`a ${ctx.req.method} request takes no body`);
  }
  return matched.route.handle({ ...ctx, params: matched.params, query: matched.query });
}
