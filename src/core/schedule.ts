/**
 * Recurring schedules: their names and specs, their slots, and what becomes of a due slot.
 * Pure: the slot rule (croner for cron expressions, arithmetic for --every) is handed in, the
 * time is the store's; stores only record what is decided here.
 *
 * A slot is one instant the schedule names. Its job's id is `<name>:<slot as ISO-8601>`, and a
 * slot fires by moving the schedule's next slot on from the value read (compare and set) in the
 * same transaction as the job's insert-or-ignore: however many leaders, hosts or workers, one
 * job per slot.
 */
import { ValidationError } from './errors.js';
import type { JobEnvironment, JobState, NewJob } from './job.js';
import { formatDuration } from './units.js';

export const OVERLAP_POLICIES = ['skip', 'allow'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** Names: like job ids but without `:` (it separates the name from the slot in a job id). */
export const SCHEDULE_NAME_MAX = 64;
const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** --every: at least a second (a slot is one job), at most a year. */
export const MIN_EVERY_MS = 1000;
export const MAX_EVERY_MS = 365 * 86_400_000;
/** Missed slots are counted one by one up to this many (cron), then the count stops. */
const MISSED_COUNT_LIMIT = 1000;

/** What a schedule runs and when, as `schedule add` takes it. */
export interface ScheduleFields {
  /** A cron expression (5 fields, or 6 with seconds first), or null with every_ms. */
  cron: string | null;
  /** The IANA time zone cron is read in (null: UTC). */
  timezone: string | null;
  every_ms: number | null;
  command: string;
  priority: number;
  /** null: config max-retries when the slot fires. */
  max_retries: number | null;
  timeout_seconds: number | null;
  cwd: string | null;
  /** The queue its jobs go to. */
  queue: string;
  overlap: OverlapPolicy;
  /** After slots were missed (no worker ran), run one job for the latest of them. */
  catch_up: boolean;
}

export interface NewSchedule extends ScheduleFields {
  name: string;
  env: JobEnvironment | null;
  /** --every slots are anchor_at + k·every_ms. */
  anchor_at: number;
  next_at: number | null;
}

/** A schedule as listed: never the values of its environment. */
export interface Schedule extends ScheduleFields {
  name: string;
  /** The names of its recorded variables (never their values); null: none recorded. */
  env_names: string[] | null;
  paused: boolean;
  anchor_at: number;
  created_at: number;
  updated_at: number;
  /** The next slot; null when it never fires again. */
  next_at: number | null;
  last_slot_at: number | null;
  last_job_id: string | null;
  /** The last job's state now; null when it was removed (or none fired yet). */
  last_job_state: JobState | null;
  /** Slots that enqueued a job, were skipped (overlap), or were missed (no worker ran). */
  fired: number;
  skipped: number;
  missed: number;
}

/** As the store holds it: with its environment's values, for the jobs it enqueues. */
export interface StoredSchedule extends Schedule {
  env: JobEnvironment | null;
}

/** One step of a schedule (ScheduleAdvance's compare and set). */
export interface ScheduleAdvance {
  name: string;
  from: number;
  to: number | null;
  /** The slot's job, or null when the slot is skipped or missed. */
  fire: { slotAt: number; job: NewJob } | null;
  skipped: number;
  missed: number;
}

/** When a schedule's slots fall. */
export interface SlotRule {
  /** The first slot strictly after `ms`, or null when none comes. */
  next(ms: number): number | null;
  /** The last slot at or before `ms`, or null. */
  latest(ms: number): number | null;
}

export function checkScheduleName(name: string): string {
  if (
    name.length === 0 ||
    name.length > SCHEDULE_NAME_MAX ||
    !SCHEDULE_NAME.test(name) ||
    name.includes('..')
  ) {
    throw new ValidationError(
      `schedule name "${name.length > 80 ? `${name.slice(0, 80)}…` : name}" must be 1-${SCHEDULE_NAME_MAX} letters, digits, ".", "_" or "-", starting with a letter or digit, without ".."`,
    );
  }
  return name;
}

export function checkEvery(ms: number): number {
  if (!Number.isFinite(ms) || ms < MIN_EVERY_MS || ms > MAX_EVERY_MS) {
    throw new ValidationError(
      `--every must be from ${formatDuration(MIN_EVERY_MS)} to ${formatDuration(MAX_EVERY_MS)} (one job per slot), not ${formatDuration(ms)}`,
    );
  }
  return ms;
}

/** An IANA zone name this runtime knows (Europe/Berlin, UTC). */
export function checkTimezone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    throw new ValidationError(
      `unknown time zone "${zone}"; use an IANA name such as Europe/Berlin, America/New_York or UTC`,
    );
  }
}

/** --every: slots at anchor + k·every. */
export function everyRule(anchorAt: number, everyMs: number): SlotRule {
  return {
    next: (ms) => anchorAt + (Math.floor((ms - anchorAt) / everyMs) + 1) * everyMs,
    latest: (ms) =>
      ms < anchorAt ? null : anchorAt + Math.floor((ms - anchorAt) / everyMs) * everyMs,
  };
}

type CronModule = typeof import('croner');
let croner: Promise<CronModule> | undefined;

/** croner, loaded on first use only: commands that handle no schedule never load it. */
function loadCroner(): Promise<CronModule> {
  croner ??= import('croner');
  return croner;
}

/** A cron expression's slots in a time zone, through croner; a ValidationError for a bad one. */
export async function cronRule(expression: string, timezone: string | null): Promise<SlotRule> {
  const { Cron } = await loadCroner();
  let cron: InstanceType<CronModule['Cron']>;
  try {
    cron = new Cron(expression, {
      paused: true,
      timezone: timezone ?? 'UTC',
      mode: '5-or-6-parts',
    });
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, '');
    throw new ValidationError(
      `cron expression "${expression}" is not valid: ${reason} (five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *"; or six, with seconds first)`,
    );
  }
  return {
    next: (ms) => cron.nextRun(new Date(ms))?.getTime() ?? null,
    latest: (ms) => cron.previousRuns(1, new Date(ms + 1))[0]?.getTime() ?? null,
  };
}

/** The slot rule of a schedule's spec. */
export function slotRule(
  spec: Pick<ScheduleFields, 'cron' | 'timezone' | 'every_ms'> & { anchor_at: number },
): Promise<SlotRule> {
  if (spec.cron !== null) return cronRule(spec.cron, spec.timezone);
  return Promise.resolve(everyRule(spec.anchor_at, spec.every_ms!));
}

/** The id of the job of a schedule's slot: `<name>:<ISO time>` (milliseconds only when not 0). */
export function slotJobId(name: string, slotAt: number): string {
  return `${name}:${new Date(slotAt).toISOString().replace('.000Z', 'Z')}`;
}

/** A job waiting or running: with overlap skip, the next slot does not enqueue another. */
function stillActive(state: JobState | null): boolean {
  return state === 'pending' || state === 'failed' || state === 'processing';
}

export interface SlotDecision {
  /** fire: enqueue the slot's job; skip: the last job still runs (overlap skip); miss: too late. */
  action: 'fire' | 'skip' | 'miss';
  slotAt: number;
  nextAt: number | null;
  /** Slots passed over before `slotAt` (no worker ran then), and `slotAt` itself when missed. */
  missed: number;
}

/**
 * What to do with a schedule at `now`, or null when no slot is due. Of the due slots only the
 * latest counts (missed slots are not replayed): it fires when it is at most `graceMs` late, or
 * later with catch-up; otherwise it is missed. With overlap skip, a slot whose schedule's last
 * job still waits or runs is skipped. A clock that went back finds nothing due.
 */
export function decideSlot(
  schedule: Pick<
    Schedule,
    'next_at' | 'paused' | 'overlap' | 'catch_up' | 'last_job_state' | 'every_ms'
  >,
  rule: SlotRule,
  now: number,
  graceMs: number,
): SlotDecision | null {
  const due = schedule.next_at;
  if (schedule.paused || due === null || due > now) return null;
  const slotAt = Math.max(due, rule.latest(now) ?? due);
  const nextAt = rule.next(slotAt);
  const passedOver = countSlots(rule, due, slotAt, schedule.every_ms);
  if (now - slotAt > graceMs && !schedule.catch_up) {
    return { action: 'miss', slotAt, nextAt, missed: passedOver + 1 };
  }
  if (schedule.overlap === 'skip' && stillActive(schedule.last_job_state)) {
    return { action: 'skip', slotAt, nextAt, missed: passedOver };
  }
  return { action: 'fire', slotAt, nextAt, missed: passedOver };
}

/** Slots from `from` (included) to `to` (excluded). */
function countSlots(rule: SlotRule, from: number, to: number, everyMs: number | null): number {
  if (to <= from) return 0;
  if (everyMs !== null) return Math.round((to - from) / everyMs);
  let count = 0;
  for (let slot: number | null = from; slot !== null && slot < to; slot = rule.next(slot)) {
    if (++count >= MISSED_COUNT_LIMIT) break;
  }
  return count;
}

/** The job a slot enqueues. */
export function slotJob(schedule: StoredSchedule, slotAt: number, maxRetries: number): NewJob {
  return {
    id: slotJobId(schedule.name, slotAt),
    command: schedule.command,
    priority: schedule.priority,
    max_retries: schedule.max_retries ?? maxRetries,
    timeout_seconds: schedule.timeout_seconds,
    run_at: null,
    cwd: schedule.cwd,
    env: schedule.env,
    queue: schedule.queue,
    unique_key: null,
    after: [],
  };
}

/**
 * How late a slot may fire and still count as on time: slots due while the maintenance leader
 * changed hands (up to lease-timeout) are not lost, and at least a minute.
 */
export function scheduleGraceMs(leaseTimeoutMs: number): number {
  return Math.max(leaseTimeoutMs, 60_000);
}
