import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from '../../src/core/queue.js';
import type { Job } from '../../src/core/job.js';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { openStore } from '../../src/store/open-store.js';
import type { CliEnv } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { csrfTokenOf, request } from './http-request.js';
import { run } from './processes.js';

const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=1">`;

let env: CliEnv;
let queue: Queue;
let dashboard: Dashboard;
let port: number;
let csrf: string;

const json = async <T>(path: string): Promise<T> => {
  const reply = await request(port, path);
  expect(reply.status, reply.body).toBe(200);
  return JSON.parse(reply.body) as T;
};
const post = (path: string, headers: Record<string, string> = {}, body = '{}') =>
  request(port, path, {
    method: 'POST',
    headers: {
      origin: `http://127.0.0.1:${port}`,
      'x-csrf-token': csrf,
      'content-type': 'application/json',
      ...headers,
    },
    body,
  });
const enqueue = async (spec: object) => {
  const result = await run(env, ['enqueue', JSON.stringify(spec)]);
  expect(result.code, result.stderr).toBe(0);
};

beforeAll(async () => {
  const home = tempDir();
  env = { home, db: join(home, 'queue.db') };
  // Real runs by a real worker: one completes with output, one dies, then more jobs wait.
  await enqueue({ id: 'ok', command: 'echo hello out; echo hello err >&2' });
  await enqueue({ id: 'boom', command: 'echo doomed >&2; exit 3', max_retries: 0 });
  await enqueue({ id: 'dies-a', command: 'exit 1', max_retries: 0 });
  await enqueue({ id: 'dies-b', command: 'exit 1', max_retries: 0 });
  const drained = await run(env, ['worker', 'start', '--drain', '--quiet']);
  expect(drained.code, drained.stderr).toBe(0);
  for (let i = 1; i <= 5; i++)
    await enqueue({ id: `wait-${i}`, command: `echo ${i}`, delay: '1h' });
  await enqueue({ id: 'hostile', command: HOSTILE, delay: '1h' });

  queue = new Queue(await openStore({ db: env.db }));
  dashboard = await startDashboard({ queue, port: 0, onError: () => {} });
  port = dashboard.port;
  csrf = await csrfTokenOf(port);
});

afterAll(async () => {
  await dashboard?.close();
  await queue?.close();
});

describe('dashboard API', () => {
  it('reports counts, workers, stats and run durations', async () => {
    const overview = await json<{
      counts: Record<string, number>;
      workers: unknown[];
      stats: { completed: number; failed: number };
      durations: { count: number }[];
      runs: number;
    }>('/api/overview');
    expect(overview.counts).toEqual({
      pending: 6,
      processing: 0,
      completed: 1,
      failed: 0,
      dead: 3,
      cancelled: 0,
    });
    expect(overview.workers).toEqual([]);
    expect(overview.stats).toMatchObject({ completed: 1, failed: 3 });
    expect(overview.runs).toBe(4);
    expect(overview.durations.at(-1)!.count).toBe(4);
  });

  it('lists the schedules, never their environment values', async () => {
    expect(await json('/api/schedules')).toEqual({ schedules: [] });
    await queue.scheduleAdd(
      { name: 'nightly', cron: '0 2 * * *', timezone: 'Europe/Berlin', command: 'make backup' },
      { env: { inherit: true, vars: { SECRET_TOKEN: 'hunter2' } } },
    );
    try {
      const body = await json<{ schedules: Record<string, unknown>[] }>('/api/schedules');
      expect(body.schedules).toHaveLength(1);
      expect(body.schedules[0]).toMatchObject({
        name: 'nightly',
        cron: '0 2 * * *',
        timezone: 'Europe/Berlin',
        env_names: ['SECRET_TOKEN'],
        fired: 0,
      });
      expect(JSON.stringify(body)).not.toContain('hunter2');
    } finally {
      await queue.scheduleRemove('nightly');
    }
  });

  it('lists jobs newest first with state filter, search and keyset paging', async () => {
    const first = await json<{ jobs: Job[]; next: string }>('/api/jobs?limit=4');
    expect(first.jobs.map((j) => j.id)).toEqual(['hostile', 'wait-5', 'wait-4', 'wait-3']);
    expect(first.next).toBe('wait-3');
    const second = await json<{ jobs: Job[]; next: string | null }>(
      `/api/jobs?limit=4&before=${first.next}`,
    );
    expect(second.jobs.map((j) => j.id)).toEqual(['wait-2', 'wait-1', 'dies-b', 'dies-a']);
    expect(second.next).toBe('dies-a');
    const third = await json<{ jobs: Job[]; next: string | null }>(
      `/api/jobs?limit=4&before=${second.next}`,
    );
    expect(third.jobs.map((j) => j.id)).toEqual(['boom', 'ok']);
    expect(third.next).toBeNull();
    const dead = await json<{ jobs: Job[] }>('/api/jobs?state=dead');
    expect(dead.jobs.map((j) => j.id)).toEqual(['dies-b', 'dies-a', 'boom']);
    const found = await json<{ jobs: Job[] }>('/api/jobs?search=DOOMED');
    expect(found.jobs.map((j) => j.id)).toEqual(['boom']);
    const bad = await request(port, '/api/jobs?state=sleeping');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/unknown state "sleeping"/);
  });

  it('shows one job with its attempts, and 404 for an unknown id', async () => {
    const shown = await json<{ job: Job; attempts: { outcome: string; exit_code: number }[] }>(
      '/api/jobs/boom',
    );
    expect(shown.job.state).toBe('dead');
    expect(shown.attempts).toMatchObject([{ outcome: 'failed', exit_code: 3 }]);
    expect((await request(port, '/api/jobs/nope')).status).toBe(404);
  });

  it("serves a run's captured stdout and stderr", async () => {
    const out = await json<{ text: string; truncated: boolean }>('/api/jobs/ok/output');
    expect(out).toMatchObject({ text: 'hello out\n', truncated: false, attempt: 1 });
    const err = await json<{ text: string }>('/api/jobs/ok/output?stream=stderr&attempt=1');
    expect(err.text).toBe('hello err\n');
    const never = await json<{ text: string; attempt: number }>('/api/jobs/wait-1/output');
    expect(never).toMatchObject({ text: '', attempt: 0 });
    expect((await request(port, '/api/jobs/ok/output?stream=stdin')).status).toBe(400);
    expect((await request(port, '/api/jobs/ok/output?attempt=7')).status).toBe(400);
  });

  it('returns hostile job text verbatim as JSON, never as HTML', async () => {
    const reply = await request(port, '/api/jobs/hostile');
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(reply.body).job.command).toBe(HOSTILE);
    const page = await request(port, '/');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toContain('<script>window');
  });

  it('cancels a pending job and refuses to cancel one that has finished', async () => {
    const cancelled = await post('/api/jobs/wait-5/cancel');
    expect(cancelled.status).toBe(200);
    expect(JSON.parse(cancelled.body)).toEqual({ cancelled: 'wait-5', stopping: false });
    expect(JSON.parse((await request(port, '/api/jobs/wait-5')).body).job.state).toBe('cancelled');
    const refused = await post('/api/jobs/ok/cancel');
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body).error).toMatch(
      /job "ok" is completed; only pending, failed or processing jobs can be cancelled/,
    );
  });

  it('retries a dead job, refuses a job that is not dead, deletes, and retries all', async () => {
    expect((await post('/api/jobs/ok/retry')).status).toBe(409);
    const retried = await post('/api/jobs/boom/retry');
    expect(retried.status).toBe(200);
    expect(JSON.parse(retried.body).job).toMatchObject({
      id: 'boom',
      state: 'pending',
      attempts: 0,
    });

    expect((await json<{ counts: { dead: number } }>('/api/overview')).counts.dead).toBe(2);
    expect((await post('/api/jobs/dies-a/delete')).status).toBe(200);
    const all = await post('/api/dlq/retry-all');
    expect(JSON.parse(all.body)).toEqual({ retried: 1 });
    const after = await json<{ counts: Record<string, number> }>('/api/overview');
    expect(after.counts.dead).toBe(0);
    expect((await json<{ job: Job }>('/api/jobs/dies-b')).job.state).toBe('pending');
  });

  it('answers 405 to a GET on an action and 404 to an unknown endpoint', async () => {
    expect((await request(port, '/api/jobs/boom/retry')).status).toBe(405);
    expect((await request(port, '/api/nothing')).status).toBe(404);
    expect((await request(port, '/api/jobs', { method: 'DELETE' })).status).toBe(405);
  });

  it('answers a malformed, repeated or unknown parameter with 400 and a message naming it', async () => {
    const cases: [string, RegExp][] = [
      ['/api/jobs?limit=0', /^limit must be a whole number from 1 to 1000, not "0"$/],
      ['/api/jobs?limit=-1', /^limit must be a whole number/],
      ['/api/jobs?limit=1.5', /^limit must be a whole number/],
      ['/api/jobs?limit=NaN', /^limit must be a whole number/],
      ['/api/jobs?limit=1001', /^limit must be a whole number/],
      ['/api/jobs?limit=1&limit=2', /^limit is given 2 times; give it once$/],
      ['/api/jobs?limt=5', /^unknown parameter "limt" for \/api\/jobs; it takes state, search/],
      ['/api/jobs?before=..', /^before /],
      ['/api/jobs?search=%00', /^search must be at most 1000 characters without control/],
      [`/api/jobs?search=${'x'.repeat(1001)}`, /^search must be at most 1000/],
      ['/api/jobs/%E0%A4%A', /^the path holds malformed percent-encoding/],
      ['/api/jobs/a%2Fb', /^job id "a\/b" may only hold/],
      ['/api/jobs/ok/output?attempt=0', /^attempt must be a whole number from 1/],
      ['/api/jobs/ok/output?attempt=1e0', /^attempt must be a whole number from 1/],
      ['/api/overview?x=1', /^unknown parameter "x" for \/api\/overview; it takes none$/],
    ];
    for (const [path, message] of cases) {
      const reply = await request(port, path);
      expect(reply.status, path).toBe(400);
      expect(JSON.parse(reply.body).error, path).toMatch(message);
    }
    // An empty value is the same as leaving the parameter out.
    expect(await json('/api/jobs?state=&search=&before=&limit=')).toEqual(await json('/api/jobs'));
  });

  it('takes an empty body or {} on an action, and nothing else', async () => {
    expect((await post('/api/jobs/nope/delete', {}, '')).status).toBe(404);
    const cases: [Record<string, string>, string, number, RegExp][] = [
      [{}, '{"force":true}', 400, /takes no parameters/],
      [{}, '[]', 400, /takes no parameters/],
      [{}, '{', 400, /not valid JSON/],
      [{ 'content-type': 'text/plain' }, '{}', 415, /application\/json/],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'a=1', 415, /application\/json/],
    ];
    for (const [headers, body, status, message] of cases) {
      const reply = await post('/api/jobs/nope/delete', headers, body);
      expect(reply.status, body).toBe(status);
      expect(JSON.parse(reply.body).error).toMatch(message);
    }
    const withBody = await request(port, '/api/overview', {
      headers: { 'content-length': '2' },
      body: '{}',
    });
    expect(withBody.status).toBe(400);
    expect(JSON.parse(withBody.body).error).toMatch(/takes no body/);
  });

  it('exposes Prometheus metrics: jobs by queue and state, run counters, a histogram, lag and workers', async () => {
    const reply = await request(port, '/metrics');
    expect(reply.headers['content-type']).toContain('text/plain; version=0.0.4');
    const metrics = reply.body;
    const value = (line: string) => {
      const match = metrics.split('\n').find((l) => l.startsWith(`${line} `));
      if (!match) throw new Error(`no sample ${line} in:\n${metrics}`);
      return Number(match.slice(line.length + 1));
    };
    const overview = await json<{ counts: Record<string, number> }>('/api/overview');
    for (const [state, n] of Object.entries(overview.counts)) {
      expect(value(`queuectl_jobs{queue="default",state="${state}"}`)).toBe(n);
    }
    expect(metrics).toContain('# TYPE queuectl_run_duration_seconds histogram');
    const q = 'queue="default"';
    const runs = value(`queuectl_run_duration_seconds_count{${q}}`);
    expect(runs).toBe(
      value(`queuectl_runs_completed_total{${q}}`) + value(`queuectl_runs_failed_total{${q}}`),
    );
    expect(value(`queuectl_run_duration_seconds_bucket{${q},le="+Inf"}`)).toBe(runs);
    expect(value(`queuectl_run_duration_seconds_bucket{${q},le="0.1"}`)).toBeLessThanOrEqual(
      value(`queuectl_run_duration_seconds_bucket{${q},le="3600"}`),
    );
    expect(value(`queuectl_queue_lag_seconds{${q}}`)).toBeGreaterThanOrEqual(0);
    expect(value(`queuectl_queue_paused{${q}}`)).toBe(0);
    const workers =
      value('queuectl_workers{status="active"}') + value('queuectl_workers{status="stale"}');
    expect(workers).toBe((await json<{ workers: unknown[] }>('/api/overview')).workers.length);
  });

  it('lists queues, pauses and resumes one, and labels its metrics', async () => {
    await enqueue({ id: 'mailer', queue: 'mail', command: 'true', delay: '1h' });
    expect((await run(env, ['queue', 'set', 'mail', '--concurrency', '3'])).code).toBe(0);
    const { queues } = await json<{ queues: { name: string; paused: boolean }[] }>('/api/queues');
    expect(queues.map((q) => q.name)).toEqual(['default', 'mail']);
    const paused = await post('/api/queues/mail/pause');
    expect(paused.status).toBe(200);
    expect(JSON.parse(paused.body).queue).toMatchObject({ name: 'mail', paused: true });
    expect((await run(env, ['queue', 'list'])).stdout).toMatch(/^mail\s+paused\s+3\s/m);
    const metrics = (await request(port, '/metrics')).body;
    expect(metrics).toContain('queuectl_jobs{queue="mail",state="pending"} 1');
    expect(metrics).toContain('queuectl_queue_paused{queue="mail"} 1');
    expect(metrics).toContain('queuectl_queue_concurrency_limit{queue="mail"} 3');
    const listed = await json<{ jobs: Job[] }>('/api/jobs?queue=mail');
    expect(listed.jobs.map((j) => j.id)).toEqual(['mailer']);
    expect((await post('/api/queues/mail/resume')).status).toBe(200);
    expect((await json<{ queues: { paused: boolean }[] }>('/api/queues')).queues[1]!.paused).toBe(
      false,
    );
    const unknown = await post('/api/queues/ghost/pause');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toBe('no queue named "ghost"');
    expect((await post('/api/queues/a%20b/pause')).status).toBe(400);
    expect((await request(port, '/api/queues/mail/pause')).status).toBe(405);
    expect((await json<{ queues: { name: string }[] }>('/api/queues')).queues).toHaveLength(2);
    await post('/api/jobs/mailer/delete');
  });

  it('pushes a fresh overview over server-sent events when the CLI changes the queue', async () => {
    const events: { changed: boolean; overview: { counts: { pending: number } } }[] = [];
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const data = buffer
            .slice(0, end)
            .split('\n')
            .find((line) => line.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (data) events.push(JSON.parse(data.slice(6)));
        }
      });
    });
    req.end();
    try {
      const first = await waitFor(() => events[0], { what: 'the first event' });
      const before = first.overview.counts.pending;
      await enqueue({ id: 'live-1', command: 'true', delay: '1h' });
      const enqueuedAt = Date.now();
      await waitFor(
        () => events.some((e) => e.changed && e.overview.counts.pending === before + 1),
        { what: 'an event with the new job counted', timeoutMs: 10_000 },
      );
      // The issue asks for "within a second"; allow for a loaded machine.
      expect(Date.now() - enqueuedAt).toBeLessThan(3000);
    } finally {
      req.destroy();
    }
  });
});
