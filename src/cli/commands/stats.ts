/** `queuectl stats [--since 1h]`: what the queue did in a window, computed by the store. */
import type { Queue } from '../../core/queue.js';
import { formatDuration, parseDuration } from '../../core/units.js';
import type { Stats } from '../../store/job-store.js';
import { table } from '../table.js';

export interface StatsResult extends Stats {
  throughputPerMinute: number;
}

export async function stats(queue: Queue, options: { since?: string }): Promise<StatsResult> {
  const sinceMs = parseDuration(options.since ?? '1h', '--since');
  const result = await queue.stats(sinceMs);
  return {
    ...result,
    throughputPerMinute: sinceMs > 0 ? +(result.completed / (sinceMs / 60_000)).toFixed(2) : 0,
  };
}

export function renderStats(s: StatsResult): string {
  const d = s.durationMs;
  const rows: [string, string][] = [
    ['window', formatDuration(s.windowMs)],
    ['completed', String(s.completed)],
    ['failed runs', String(s.failed)],
    ['dead', String(s.dead)],
    ['retried', String(s.retried)],
    ['throughput', `${s.throughputPerMinute} jobs/min`],
    [
      'run time',
      d
        ? `avg ${formatDuration(d.avg)}  min ${formatDuration(d.min)}  p50 ${formatDuration(d.p50)}  p95 ${formatDuration(d.p95)}  max ${formatDuration(d.max)}`
        : '-',
    ],
    [
      'queue lag',
      s.oldestWaitingMs === null ? 'none (nothing waiting)' : formatDuration(s.oldestWaitingMs),
    ],
    [
      'states',
      Object.entries(s.counts)
        .map(([state, n]) => `${state} ${n}`)
        .join(', '),
    ],
  ];
  return table(['FIGURE', 'VALUE'], rows);
}
