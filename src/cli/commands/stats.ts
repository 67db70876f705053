/** `queuectl stats [--since 1h]`: what the queue did in a window, computed by the store. */
import { formatDuration } from '../../core/units.js';
import type { QueueCommand } from '../command-spec.js';
import type { Stats } from '../../store/job-store.js';
import { table } from '../table.js';

export interface StatsResult extends Stats {
  throughputPerMinute: number;
}

export const statsCommand: QueueCommand<StatsResult, { since: number; queue?: string }> = {
  kind: 'queue',
  async run(queue, { opts }) {
    const result = await queue.stats(opts.since, opts.queue);
    return {
      ...result,
      throughputPerMinute: +(result.completed / (opts.since / 60_000)).toFixed(2),
    };
  },
  render: (data) => renderStats(data),
};

export function renderStats(s: StatsResult): string {
  const d = s.durationMs;
  const rows: [string, string][] = [
    ['window', formatDuration(s.windowMs)],
    ['completed', String(s.completed)],
    ['failed runs', String(s.failed)],
    ['dead', String(s.dead)],
    ['cancelled', String(s.cancelled)],
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
