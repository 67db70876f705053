/** `queuectl show <id>`: everything about one job, with its attempt history. */
import type { JobEnvironment, JobLink } from '../../core/job.js';
import type { ShownJob } from '../../core/queue.js';
import type { Job } from '../../core/job.js';
import type { QueueCommand } from '../command-spec.js';
import { formatDuration } from '../../core/units.js';
import { oneLine, paint, STATE_COLORS, timestamp } from '../output.js';
import { table } from '../table.js';

export interface Shown extends ShownJob {
  /** The recorded environment's values: only with --env. */
  environment?: JobEnvironment | null;
}

export const showCommand: QueueCommand<Shown, { env?: boolean }> = {
  kind: 'queue',
  async run(queue, { args, opts }) {
    const shown: Shown = await queue.show(args[0]!);
    if (opts.env) shown.environment = await queue.environment(shown.job.id);
    return shown;
  },
  render: (shown) => renderShow(shown),
};

/** The recorded environment: its names, or (--env) every NAME=VALUE. */
function environmentLines(job: Job, environment: JobEnvironment | null | undefined): string {
  if (environment !== undefined) {
    if (environment === null) return "none recorded (the worker's environment)";
    const base = environment.inherit ? "the worker's environment, plus:" : 'exactly:';
    const vars = Object.entries(environment.vars).map(([name, value]) => `  ${name}=${value}`);
    return [base, ...vars].join('\n');
  }
  if (job.env_names === null) return "none recorded (the worker's environment)";
  return `${job.env_names.length} variables: ${job.env_names.join(' ')} (values: queuectl show ${job.id} --env)`;
}

/** Jobs with their states, a few to a line. */
function links(list: JobLink[], total = list.length): string {
  if (total === 0) return '-';
  const shown = list.map((link) => `${link.id} (${link.state})`).join(', ');
  return total > list.length ? `${shown}, … (${total} in all)` : shown;
}

export function renderShow(shown: Shown): string {
  const { job, attempts, environment } = shown;
  const fields: [string, string][] = [
    ['id', job.id],
    ['command', job.command],
    ['queue', job.queue],
    ['directory', job.cwd ?? "the worker's"],
    ['environment', environmentLines(job, environment)],
    ['state', paint(job.state, STATE_COLORS[job.state])],
    [
      'attempts',
      `${job.attempts} of at most ${job.max_retries + 1} (max_retries ${job.max_retries})`,
    ],
    ['priority', String(job.priority)],
    ['timeout', job.timeout_seconds === null ? 'none' : formatDuration(job.timeout_seconds * 1000)],
    ['run at', timestamp(job.run_at)],
    ['created', timestamp(job.created_at)],
    ['updated', timestamp(job.updated_at)],
    ['started', timestamp(job.started_at)],
    ['finished', timestamp(job.finished_at)],
    ['last exit code', job.last_exit_code === null ? '-' : String(job.last_exit_code)],
    ['last error', job.last_error ?? '-'],
    ['worker', job.worker_id ?? '-'],
  ];
  if (job.unique_key !== null) fields.push(['unique key', job.unique_key]);
  if (shown.dependencies.length) {
    const after = shown.dependencies
      .map((d) => `${d.id} (${d.state ?? 'removed'}${d.met ? '' : ', waited for'})`)
      .join(', ');
    fields.push(['after', after]);
  }
  if (shown.dependentsTotal) {
    fields.push(['dependents', links(shown.dependents, shown.dependentsTotal)]);
  }
  const width = Math.max(...fields.map(([name]) => name.length));
  const head = fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
  if (attempts.length === 0) return `${head}\n\nno attempts yet`;
  const rows = attempts.map((a) => [
    String(a.attempt),
    timestamp(a.started_at),
    a.finished_at === null ? 'running' : formatDuration(a.finished_at - a.started_at),
    a.outcome ?? 'running',
    a.exit_code !== null ? String(a.exit_code) : (a.signal ?? '-'),
    `${a.worker_id}@${a.host}`,
    oneLine(a.error),
  ]);
  const history = table(['#', 'STARTED', 'DURATION', 'OUTCOME', 'EXIT', 'WORKER', 'ERROR'], rows, {
    shrink: [6],
  });
  return `${head}\n\n${history}`;
}
