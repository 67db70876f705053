/** `queuectl status`: counts per state, the active workers, and which database is in use. */
import { DEFAULT_QUEUE, JOB_STATES, type QueueInfo } from '../../core/job.js';
import type { QueueStatus } from '../../core/queue.js';
import type { QueueCommand } from '../command-spec.js';
import { ago, paint, STATE_COLORS } from '../output.js';
import { table } from '../table.js';

export const statusCommand: QueueCommand<QueueStatus> = {
  kind: 'queue',
  run: (queue) => queue.status(),
  render: (status) => renderStatus(status),
};

export function renderStatus(status: QueueStatus, now = Date.now()): string {
  const total = JOB_STATES.reduce((sum, state) => sum + status.counts[state], 0);
  const counts = table(
    ['STATE', 'JOBS'],
    [
      ...JOB_STATES.map((state) => [
        paint(state, STATE_COLORS[state]),
        String(status.counts[state]),
      ]),
      ['total', String(total)],
    ],
  );
  const dead = status.counts.dead;
  const dlq = `dead letter queue: ${dead} job${dead === 1 ? '' : 's'}${dead ? ' (queuectl dlq list)' : ''}`;
  const queues = renderQueueSummary(status.queues);
  const perHost = new Map<string, number>();
  for (const w of status.workers) perHost.set(w.host, (perHost.get(w.host) ?? 0) + 1);
  const hosts = [...perHost].map(([host, n]) => `${n} on ${host}`).join(', ');
  const active = status.workers.length;
  const workers = active
    ? `${active} worker${active === 1 ? '' : 's'} active: ${hosts}\n\n` +
      table(
        ['WORKER', 'HOST', 'PID', 'CURRENT JOB', 'HEARTBEAT'],
        status.workers.map((w) => [
          w.id,
          w.host,
          String(w.pid),
          currentJobs(w.current_job, w.running),
          `${ago(w.heartbeat_at, now)}${w.stale ? paint(' (stale)', 'yellow') : ''}${w.stop_requested ? ' (stopping)' : ''}`,
        ]),
      )
    : 'no active workers (start some with: queuectl worker start --count 3)';
  // Issue 15: who runs the database-wide duties (lease rescues, retention, schedules).
  const leader = status.leader
    ? `\nmaintenance leader: ${status.leader.holder} on ${status.leader.host} (since ${ago(status.leader.since_at, now)})`
    : '';
  return `database: ${status.location}\n\n${counts}\n${dlq}\n\n${queues}${workers}${leader}`;
}

/** The job a worker runs, and how many more with --concurrency (`build-7 +3`). */
function currentJobs(named: string | null, running: number): string {
  if (running <= 1) return named ?? (running === 1 ? '?' : '-');
  return `${named ?? '?'} +${running - 1}`;
}

/**
 * Per queue: whether it runs, its limit, what runs and what waits. Left out while the only queue
 * is the default one, active and without a limit (nothing to say beyond the counts above).
 */
function renderQueueSummary(queues: QueueInfo[]): string {
  const plain =
    queues.length === 1 &&
    queues[0]!.name === DEFAULT_QUEUE &&
    !queues[0]!.paused &&
    queues[0]!.concurrency === null;
  if (queues.length === 0 || plain) return '';
  const rows = queues.map((q) => [
    q.name,
    q.paused ? paint('paused', 'yellow') : 'active',
    q.concurrency === null ? '-' : String(q.concurrency),
    String(q.counts.processing),
    String(q.counts.pending + q.counts.failed),
  ]);
  const paused = queues.filter((q) => q.paused).length;
  const note = paused
    ? `\n${paused} paused queue${paused === 1 ? '' : 's'}: their jobs wait (queuectl resume NAME)`
    : '';
  return `${table(['QUEUE', 'STATUS', 'LIMIT', 'RUNNING', 'WAITING'], rows)}${note}\n\n`;
}
