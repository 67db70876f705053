/// <reference lib="dom" />
/**
 * The dashboard page: renders the overview pushed over server-sent events, the job table with
 * filters and paging, the dead letter queue, and one job's attempts and output. Actions POST to
 * the API; the change then comes back through the event stream like any other.
 */
import type { Attempt, Job, JobLink, QueueInfo } from '../../core/job.js';
import type { RunOutput } from '../../core/run-output.js';
import type { Schedule } from '../../core/schedule.js';
import type { Overview } from '../overview.js';
import { getJson, jobPath, postJson, queuePath } from './api.js';
import { drawDurations, drawThroughput } from './charts.js';
import { ago, byId, duration, el, replaceRows, time } from './dom.js';

const STATES = ['pending', 'processing', 'completed', 'failed', 'dead', 'cancelled'] as const;
const PAGE_SIZE = 25;

const view = {
  state: '',
  queue: '',
  search: '',
  /** Keyset cursors of the pages before the current one; the last is the current page's. */
  cursors: [] as string[],
  next: null as string | null,
  job: null as string | null,
  /** The attempt the user picked, or null to follow the latest. */
  attempt: null as number | null,
  stream: 'stdout' as 'stdout' | 'stderr',
};

let toastTimer = 0;
function toast(message: string, isError = false): void {
  const node = byId('toast');
  node.textContent = message;
  node.className = `shown${isError ? ' error' : ''}`;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (node.className = ''), 3000);
}

async function act(path: string, done: string): Promise<void> {
  try {
    await postJson(path);
    toast(done);
    await refresh();
  } catch (error) {
    toast((error as Error).message, true);
  }
}

function stateBadge(state: string): HTMLElement {
  return el('span', { class: `state ${state}` }, state);
}

function actionButtons(job: Job): HTMLElement[] {
  const button = (label: string, path: string, done: string, danger = false) => {
    const node = el('button', { type: 'button', class: danger ? 'danger' : '' }, label);
    node.addEventListener('click', (event) => {
      event.stopPropagation();
      void act(jobPath(job.id, path), done);
    });
    return node;
  };
  switch (job.state) {
    case 'pending':
    case 'failed':
      return [
        button('Cancel', '/cancel', `cancelled ${job.id}`, true),
        button('Delete', '/delete', `deleted ${job.id}`, true),
      ];
    case 'processing':
      return [button('Cancel', '/cancel', `stopping ${job.id}; it ends cancelled`, true)];
    case 'dead':
      return [
        button('Retry', '/retry', `${job.id} is pending again`),
        button('Delete', '/delete', `deleted ${job.id}`, true),
      ];
    default:
      return [button('Delete', '/delete', `deleted ${job.id}`, true)];
  }
}

/** The queues with their counts, limit and a pause or resume button; the queue filter's names. */
function renderQueues(queues: QueueInfo[]): void {
  replaceRows(
    byId('queues').querySelector('tbody')!,
    queues.map((q) => {
      const action = q.paused ? 'resume' : 'pause';
      const button = el(
        'button',
        { type: 'button', class: q.paused ? '' : 'danger', 'data-queue': q.name },
        q.paused ? 'Resume' : 'Pause',
      );
      button.addEventListener(
        'click',
        () =>
          void act(queuePath(q.name, `/${action}`), `${q.name} ${q.paused ? 'resumed' : 'paused'}`),
      );
      const name = el('button', { type: 'button', class: 'link' }, q.name);
      name.addEventListener('click', () => setQueueFilter(view.queue === q.name ? '' : q.name));
      return el(
        'tr',
        { 'data-queue': q.name },
        el('td', {}, name),
        el(
          'td',
          { class: `queue-status${q.paused ? ' paused' : ''}` },
          q.paused ? 'paused' : 'active',
        ),
        el('td', {}, q.concurrency === null ? '-' : String(q.concurrency)),
        el('td', {}, q.counts.processing),
        el('td', {}, q.runnable ?? '-'),
        el('td', {}, q.counts.pending + q.counts.failed),
        el('td', {}, q.blocked ?? '-'),
        el('td', {}, q.counts.completed),
        el('td', {}, q.counts.dead),
        el('td', { class: 'actions' }, button),
      );
    }),
    10,
    'no queues yet',
  );
  const select = byId<HTMLSelectElement>('queue-filter');
  const names = queues.map((q) => q.name);
  const shown = Array.from(select.options)
    .slice(1)
    .map((option) => option.value);
  if (names.join('\n') !== shown.join('\n')) {
    select.replaceChildren(
      el('option', { value: '' }, 'all queues'),
      ...names.map((name) => el('option', { value: name }, name)),
    );
    select.value = view.queue;
  }
}

async function loadQueues(): Promise<void> {
  const { queues } = await getJson<{ queues: QueueInfo[] }>('/api/queues');
  renderQueues(queues);
}

function renderOverview(o: Overview): void {
  byId('location').textContent = o.location;
  byId('counts').replaceChildren(
    ...STATES.map((state) => {
      const card = el(
        'button',
        {
          type: 'button',
          class: `count ${state}${view.state === state ? ' selected' : ''}`,
          'data-state': state,
        },
        el('span', { class: 'n' }, o.counts[state]),
        state,
      );
      card.addEventListener('click', () => setFilter(view.state === state ? '' : state));
      return card;
    }),
  );
  replaceRows(
    byId('workers').querySelector('tbody')!,
    o.workers.map((w) =>
      el(
        'tr',
        {},
        el('td', {}, w.id),
        el('td', {}, w.host),
        el('td', {}, w.pid),
        el(
          'td',
          {},
          w.running > 1 ? `${w.current_job ?? '?'} +${w.running - 1}` : (w.current_job ?? '-'),
        ),
        el(
          'td',
          {},
          ago(w.heartbeat_age_ms),
          w.stale ? ' (stale)' : '',
          w.stop_requested ? ' (stopping)' : '',
        ),
      ),
    ),
    5,
    'no active workers (start some with: queuectl worker start --count 3)',
  );
  drawThroughput(byId('throughput-chart') as unknown as SVGSVGElement, o.stats.perMinute, o.now);
  drawDurations(byId('duration-chart') as unknown as SVGSVGElement, o.durations, o.runs);
  const d = o.stats.durationMs;
  byId('duration-summary').textContent =
    `${o.runs} runs` +
    (d
      ? ` · last hour p50 ${duration(d.p50)}, p95 ${duration(d.p95)}, max ${duration(d.max)}`
      : '') +
    (o.stats.oldestWaitingMs !== null ? ` · queue lag ${duration(o.stats.oldestWaitingMs)}` : '');
  byId('dlq-count').textContent = `(${o.counts.dead})`;
  byId<HTMLButtonElement>('retry-all').disabled = o.counts.dead === 0;
}

let jobsRequest = 0;
async function loadJobs(): Promise<void> {
  const request = ++jobsRequest;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (view.state) query.set('state', view.state);
  if (view.queue) query.set('queue', view.queue);
  if (view.search) query.set('search', view.search);
  const before = view.cursors[view.cursors.length - 1];
  if (before) query.set('before', before);
  const { jobs, next } = await getJson<{ jobs: Job[]; next: string | null }>(`/api/jobs?${query}`);
  if (request !== jobsRequest) return;
  view.next = next;
  replaceRows(
    byId('jobs').querySelector('tbody')!,
    jobs.map((job) => {
      const row = el(
        'tr',
        { class: 'job-row', 'data-job-id': job.id },
        el('td', {}, job.id),
        el('td', {}, job.queue),
        el('td', { class: 'state-cell' }, stateBadge(job.state)),
        el('td', { class: 'command', title: job.command }, job.command),
        el('td', {}, `${job.attempts}/${job.max_retries + 1}`),
        el('td', {}, time(job.updated_at)),
        el('td', { class: 'actions' }, ...actionButtons(job)),
      );
      row.addEventListener('click', () => void openJob(job.id));
      return row;
    }),
    7,
    view.state || view.search || view.queue ? 'no jobs match' : 'no jobs yet',
  );
  byId<HTMLButtonElement>('newer').disabled = view.cursors.length === 0;
  byId<HTMLButtonElement>('older').disabled = next === null;
  byId('page-info').textContent = `page ${view.cursors.length + 1}`;
}

async function loadDlq(): Promise<void> {
  const { jobs } = await getJson<{ jobs: Job[] }>('/api/jobs?state=dead&limit=50');
  replaceRows(
    byId('dlq').querySelector('tbody')!,
    jobs.map((job) => {
      const row = el(
        'tr',
        { class: 'job-row', 'data-job-id': job.id },
        el('td', {}, job.id),
        el('td', { class: 'command', title: job.command }, job.command),
        el('td', { class: 'error', title: job.last_error ?? '' }, job.last_error ?? '-'),
        el('td', {}, time(job.finished_at)),
        el('td', { class: 'actions' }, ...actionButtons(job)),
      );
      row.addEventListener('click', () => void openJob(job.id));
      return row;
    }),
    5,
    'the dead letter queue is empty',
  );
}

/** "cron 0 2 * * * (Europe/Berlin)" or "every 1h". */
function scheduleWhen(s: Schedule): string {
  if (s.cron !== null) return `cron ${s.cron} (${s.timezone ?? 'UTC'})`;
  return `every ${duration(s.every_ms!)}`;
}

async function loadSchedules(): Promise<void> {
  const { schedules } = await getJson<{ schedules: Schedule[] }>('/api/schedules');
  byId('schedules-count').textContent = `(${schedules.length})`;
  replaceRows(
    byId('schedules').querySelector('tbody')!,
    schedules.map((s) =>
      el(
        'tr',
        { 'data-schedule': s.name },
        el('td', {}, s.name),
        el('td', {}, scheduleWhen(s)),
        el('td', {}, s.paused ? 'paused' : s.next_at === null ? 'never' : time(s.next_at)),
        el(
          'td',
          {},
          s.last_job_id ?? '-',
          ' ',
          s.last_job_id === null ? '' : stateBadge(s.last_job_state ?? 'removed'),
        ),
        el(
          'td',
          {},
          `${s.fired}${s.skipped ? ` (${s.skipped} skipped)` : ''}${s.missed ? ` (${s.missed} missed)` : ''}`,
        ),
        el('td', { class: 'command', title: s.command }, s.command),
      ),
    ),
    6,
    'no schedules (queuectl schedule add NAME --cron "0 2 * * *" -c CMD)',
  );
}

async function loadJob(): Promise<void> {
  const id = view.job;
  if (id === null) return;
  let shown: { job: Job; attempts: Attempt[]; dependencies: JobLink[]; dependents: JobLink[] };
  try {
    shown = await getJson(jobPath(id));
  } catch {
    byId('job-fields').replaceChildren(el('p', { class: 'empty' }, `job ${id} no longer exists`));
    byId('job-actions').replaceChildren();
    return;
  }
  if (view.job !== id) return;
  const { job, attempts, dependencies, dependents } = shown;
  const links = (list: JobLink[]) =>
    list.length ? list.map((link) => `${link.id} (${link.state})`).join(', ') : '-';
  byId('job-title').textContent = job.id;
  const field = (name: string, value: Node | string, cls = '') => [
    el('dt', {}, name),
    el('dd', cls ? { class: cls } : {}, value),
  ];
  byId('job-fields').replaceChildren(
    ...field('State', stateBadge(job.state)),
    ...field('Queue', job.queue),
    ...field('Command', job.command, 'command'),
    // The directory only: a job's recorded environment may hold secrets and is never shown here.
    ...field('Directory', job.cwd ?? "the worker's", 'command'),
    ...field('Attempts', `${job.attempts} of ${job.max_retries + 1}`),
    ...field('Priority', String(job.priority)),
    ...field('Timeout', job.timeout_seconds === null ? 'none' : `${job.timeout_seconds}s`),
    ...field('Created', time(job.created_at)),
    ...field('Run at', time(job.run_at)),
    ...field('Finished', time(job.finished_at)),
    ...field('Last error', job.last_error ?? '-', 'command'),
    ...field('Waits for', job.waiting_for.length ? job.waiting_for.join(', ') : '-'),
    ...field('After', links(dependencies)),
    ...field('Dependents', links(dependents)),
    ...field('Unique key', job.unique_key ?? '-', 'command'),
  );
  byId('job-actions').replaceChildren(...actionButtons(job));
  replaceRows(
    byId('attempts').querySelector('tbody')!,
    attempts.map((a) =>
      el(
        'tr',
        {},
        el('td', {}, a.attempt),
        el('td', {}, a.outcome ?? 'running'),
        el('td', {}, a.exit_code ?? a.signal ?? '-'),
        el('td', {}, `${a.host}:${a.pid}`),
        el('td', {}, time(a.started_at)),
        el('td', {}, a.finished_at === null ? '-' : duration(a.finished_at - a.started_at)),
      ),
    ),
    6,
    'not run yet',
  );
  const select = byId<HTMLSelectElement>('attempt-select');
  select.replaceChildren(
    ...[...attempts]
      .reverse()
      .map((a) => el('option', { value: String(a.attempt) }, `attempt ${a.attempt}`)),
  );
  const latest = attempts[attempts.length - 1]?.attempt ?? null;
  const chosen = view.attempt ?? latest;
  if (chosen !== null) select.value = String(chosen);
  await loadOutput(chosen);
}

async function loadOutput(attempt: number | null): Promise<void> {
  const id = view.job;
  const pre = byId('output');
  if (id === null) return;
  if (attempt === null) {
    pre.textContent = '(no output: the job has not run yet)';
    return;
  }
  const output = await getJson<RunOutput>(
    jobPath(id, `/output?stream=${view.stream}&attempt=${attempt}`),
  );
  if (view.job !== id) return;
  pre.textContent =
    (output.truncated ? `[showing the last part of ${output.size} bytes]\n` : '') +
    (output.text || `(no ${view.stream})`);
}

async function openJob(id: string): Promise<void> {
  view.job = id;
  view.attempt = null;
  byId('job-view').hidden = false;
  await loadJob();
}

function setQueueFilter(queue: string): void {
  view.queue = queue;
  view.cursors = [];
  byId<HTMLSelectElement>('queue-filter').value = queue;
  void loadJobs();
}

function setFilter(state: string): void {
  view.state = state;
  view.cursors = [];
  byId<HTMLSelectElement>('state-filter').value = state;
  document.querySelectorAll('.count').forEach((card) => {
    card.classList.toggle('selected', card.getAttribute('data-state') === state);
  });
  void loadJobs();
}

async function refresh(): Promise<void> {
  await Promise.all([loadJobs(), loadDlq(), loadJob(), loadQueues(), loadSchedules()]);
}

function connect(): void {
  const live = byId('live');
  const events = new EventSource('/api/events');
  events.onopen = () => {
    live.dataset.state = 'live';
    live.textContent = 'live';
  };
  events.onerror = () => {
    live.dataset.state = 'offline';
    live.textContent = 'reconnecting…';
  };
  events.onmessage = (message: MessageEvent<string>) => {
    const { changed, overview } = JSON.parse(message.data) as {
      changed: boolean;
      overview: Overview;
    };
    renderOverview(overview);
    if (changed) void refresh();
  };
}

function wire(): void {
  byId<HTMLSelectElement>('state-filter').addEventListener('change', (event) =>
    setFilter((event.target as HTMLSelectElement).value),
  );
  byId<HTMLSelectElement>('queue-filter').addEventListener('change', (event) =>
    setQueueFilter((event.target as HTMLSelectElement).value),
  );
  let searchTimer = 0;
  byId<HTMLInputElement>('search').addEventListener('input', (event) => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      view.search = (event.target as HTMLInputElement).value.trim();
      view.cursors = [];
      void loadJobs();
    }, 250);
  });
  byId('older').addEventListener('click', () => {
    if (view.next === null) return;
    view.cursors.push(view.next);
    void loadJobs();
  });
  byId('newer').addEventListener('click', () => {
    view.cursors.pop();
    void loadJobs();
  });
  byId('retry-all').addEventListener('click', () => {
    void (async () => {
      try {
        const { retried } = await postJson<{ retried: number }>('/api/dlq/retry-all');
        toast(`${retried} dead job${retried === 1 ? '' : 's'} moved back to pending`);
        await refresh();
      } catch (error) {
        toast((error as Error).message, true);
      }
    })();
  });
  byId('close-job').addEventListener('click', () => {
    view.job = null;
    byId('job-view').hidden = true;
  });
  byId<HTMLSelectElement>('attempt-select').addEventListener('change', (event) => {
    view.attempt = Number((event.target as HTMLSelectElement).value);
    void loadOutput(view.attempt);
  });
  document.querySelectorAll<HTMLButtonElement>('button.stream').forEach((button) => {
    button.addEventListener('click', () => {
      view.stream = button.dataset.stream === 'stderr' ? 'stderr' : 'stdout';
      document
        .querySelectorAll('button.stream')
        .forEach((b) => b.classList.toggle('active', b === button));
      const select = byId<HTMLSelectElement>('attempt-select');
      void loadOutput(select.value ? Number(select.value) : null);
    });
  });
}

wire();
connect();
void refresh();
