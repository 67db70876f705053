/** `queuectl schedule add|list|rm|pause|resume`: recurring jobs. */
import { ValidationError } from '../../core/errors.js';
import type { Schedule } from '../../core/schedule.js';
import { formatDuration } from '../../core/units.js';
import type { QueueCommand } from '../command-spec.js';
import { ago, oneLine, paint, STATE_COLORS, timestamp } from '../output.js';
import { table } from '../table.js';
import { recordedPlace } from './enqueue.js';

export interface ScheduleAddOptions {
  cron?: string;
  tz?: string;
  /** Milliseconds. */
  every?: number;
  command?: string;
  priority?: number;
  /** Milliseconds. */
  timeout?: number;
  maxRetries?: number;
  cwd?: string;
  env?: [string, string][];
  cleanEnv?: boolean;
  overlap?: string;
  catchUp?: boolean;
  queue?: string;
}

export const scheduleAddCommand: QueueCommand<Schedule, ScheduleAddOptions> = {
  kind: 'queue',
  async run(queue, { args, opts }) {
    if (opts.command === undefined) {
      throw new ValidationError(
        'give the command each slot runs with -c: queuectl schedule add nightly --cron "0 2 * * *" -c "make backup"',
      );
    }
    return queue.scheduleAdd(
      {
        name: args[0]!,
        cron: opts.cron,
        timezone: opts.tz,
        everyMs: opts.every,
        command: opts.command,
        priority: opts.priority,
        maxRetries: opts.maxRetries,
        timeoutSeconds: opts.timeout === undefined ? undefined : opts.timeout / 1000,
        overlap: opts.overlap,
        catchUp: opts.catchUp,
        queue: opts.queue,
      },
      recordedPlace(opts),
    );
  },
  render: (schedule) =>
    `added schedule ${schedule.name} (${when(schedule)}); next run ${next(schedule)}`,
};

export const scheduleListCommand: QueueCommand<Schedule[]> = {
  kind: 'queue',
  run: (queue) => queue.scheduleList(),
  render: (schedules) => renderSchedules(schedules),
};

export const scheduleRmCommand: QueueCommand<string> = {
  kind: 'queue',
  async run(queue, { args }) {
    await queue.scheduleRemove(args[0]!);
    return args[0]!;
  },
  render: (name) => `${name}: removed (the jobs it enqueued stay)`,
  jsonOf: (name) => ({ removed: name }),
};

export const schedulePauseCommand: QueueCommand<Schedule> = {
  kind: 'queue',
  run: (queue, { args }) => queue.schedulePause(args[0]!, true),
  render: (schedule) => `${schedule.name}: paused (no slot fires until queuectl schedule resume)`,
};

export const scheduleResumeCommand: QueueCommand<Schedule> = {
  kind: 'queue',
  run: (queue, { args }) => queue.schedulePause(args[0]!, false),
  render: (schedule) => `${schedule.name}: resumed; next run ${next(schedule)}`,
};

/** "cron 0 2 * * * (Europe/Berlin)" or "every 1h". */
export function when(schedule: Schedule): string {
  if (schedule.cron !== null) {
    return `cron ${schedule.cron}${schedule.timezone ? ` (${schedule.timezone})` : ' (UTC)'}`;
  }
  return `every ${formatDuration(schedule.every_ms!)}`;
}

function next(schedule: Schedule, now = Date.now()): string {
  if (schedule.paused) return 'paused';
  if (schedule.next_at === null) return 'never';
  return `${timestamp(schedule.next_at)} (${ago(schedule.next_at, now)})`;
}

export function renderSchedules(schedules: Schedule[], now = Date.now()): string {
  if (schedules.length === 0) {
    return 'no schedules (add one: queuectl schedule add nightly --cron "0 2 * * *" -c "make backup")';
  }
  return table(
    ['NAME', 'WHEN', 'NEXT RUN', 'LAST JOB', 'STATE', 'FIRED', 'COMMAND'],
    schedules.map((s) => [
      s.name,
      when(s),
      next(s, now),
      s.last_job_id ?? '-',
      s.last_job_id === null
        ? '-'
        : s.last_job_state === null
          ? 'removed'
          : paint(s.last_job_state, STATE_COLORS[s.last_job_state]),
      `${s.fired}${s.skipped ? ` (${s.skipped} skipped)` : ''}${s.missed ? ` (${s.missed} missed)` : ''}`,
      oneLine(s.command),
    ]),
    { shrink: [6] },
  );
}
