/** `/metrics` in the Prometheus text exposition format (version 0.0.4). */
import { JOB_STATES } from '../core/job.js';
import type { Queue } from '../core/queue.js';
import { DURATION_BUCKETS_MS } from './overview.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

class Exposition {
  private lines: string[] = [];

  metric(name: string, type: string, help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): this {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    this.lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}`);
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export async function renderMetrics(queue: Queue): Promise<string> {
  const [status, stats, totals] = await Promise.all([
    queue.status(),
    queue.stats(60_000),
    queue.runTotals(DURATION_BUCKETS_MS),
  ]);
  const out = new Exposition();
  out.metric('queuectl_jobs', 'gauge', 'Jobs by state.');
  for (const state of JOB_STATES) out.sample('queuectl_jobs', status.counts[state], { state });

  out.metric(
    'queuectl_runs_completed_total',
    'counter',
    'Runs that exited 0, over the runs still stored.',
  );
  out.sample('queuectl_runs_completed_total', totals.completed);
  out.metric(
    'queuectl_runs_failed_total',
    'counter',
    'Runs that failed, timed out, could not start or lost their worker, over the runs still stored.',
  );
  out.sample('queuectl_runs_failed_total', totals.failed);

  out.metric('queuectl_run_duration_seconds', 'histogram', 'How long finished runs took.');
  for (const bucket of totals.buckets) {
    out.sample('queuectl_run_duration_seconds_bucket', bucket.count, {
      le: String(bucket.leMs / 1000),
    });
  }
  out.sample('queuectl_run_duration_seconds_bucket', totals.count, { le: '+Inf' });
  out.sample('queuectl_run_duration_seconds_sum', totals.sumMs / 1000);
  out.sample('queuectl_run_duration_seconds_count', totals.count);

  out.metric(
    'queuectl_queue_lag_seconds',
    'gauge',
    'Age of the oldest job that is due to run and not running (0 when none).',
  );
  out.sample('queuectl_queue_lag_seconds', (stats.oldestWaitingMs ?? 0) / 1000);

  out.metric(
    'queuectl_workers',
    'gauge',
    'Registered workers, by whether their heartbeat is fresh.',
  );
  const stale = status.workers.filter((w) => w.stale).length;
  out.sample('queuectl_workers', status.workers.length - stale, { status: 'active' });
  out.sample('queuectl_workers', stale, { status: 'stale' });
  return out.text();
}
