/**
 * Leader duty: fires schedule slots. Reads the schedules at least every SCHEDULES_RECHECK_MS
 * (a schedule added or resumed is seen within that), and sleeps until the earliest next slot
 * in between. What a due slot becomes is decided in core/schedule.ts; the store moves the
 * schedule on by compare and set and inserts the slot's job in the same transaction, so a slot
 * fires once however many leaders ever look at it. A draining leader (`worker start --drain`)
 * fires nothing: the pool is finishing.
 */
import {
  decideSlot,
  scheduleGraceMs,
  slotJob,
  slotRule,
  type SlotRule,
  type StoredSchedule,
} from '../../../core/schedule.js';
import type { Duty, DutyContext } from '../duty.js';

/** The schedules are read again at least this often. */
export const SCHEDULES_RECHECK_MS = 1000;

/** Slot rules by spec: croner parses a cron expression once. */
const rules = new Map<string, SlotRule>();
/** Schedules whose spec could not be read, reported once each. */
const reported = new Set<string>();

async function ruleOf(schedule: StoredSchedule): Promise<SlotRule> {
  const key = `${schedule.cron}\u0000${schedule.timezone}\u0000${schedule.every_ms}\u0000${schedule.anchor_at}`;
  let rule = rules.get(key);
  if (!rule) {
    rule = await slotRule(schedule);
    rules.set(key, rule);
  }
  return rule;
}

async function step(
  context: DutyContext,
  schedule: StoredSchedule,
  now: number,
): Promise<number | null> {
  let rule: SlotRule;
  try {
    rule = await ruleOf(schedule);
  } catch (error) {
    if (!reported.has(schedule.name)) {
      reported.add(schedule.name);
      context.log(`schedule ${schedule.name}: not run: ${(error as Error).message}`);
    }
    return null;
  }
  const settings = context.settings();
  const decision = decideSlot(schedule, rule, now, scheduleGraceMs(settings.leaseTimeoutMs));
  if (!decision) return schedule.paused ? null : schedule.next_at;
  const fire = decision.action === 'fire';
  const job = fire ? slotJob(schedule, decision.slotAt, settings.maxRetries) : null;
  const moved = await context.store.scheduleAdvance({
    name: schedule.name,
    from: schedule.next_at!,
    to: decision.nextAt,
    fire: job ? { slotAt: decision.slotAt, job } : null,
    skipped: decision.action === 'skip' ? 1 : 0,
    missed: decision.missed,
  });
  if (moved) {
    const slot = new Date(decision.slotAt).toISOString();
    if (job) context.log(`schedule ${schedule.name}: slot ${slot} enqueued ${job.id}`);
    else if (decision.action === 'skip') {
      context.log(
        `schedule ${schedule.name}: slot ${slot} skipped: ${schedule.last_job_id} is still ${schedule.last_job_state} (overlap skip)`,
      );
    } else {
      context.log(
        `schedule ${schedule.name}: ${decision.missed} slot${decision.missed === 1 ? '' : 's'} missed up to ${slot} (no worker ran then; --catch-up runs one)`,
      );
    }
  }
  return decision.nextAt;
}

export const schedules: Duty = {
  name: 'schedules',
  scope: 'leader',
  async run(context) {
    if (context.drain) return SCHEDULES_RECHECK_MS;
    const list = await context.store.scheduleList();
    const now = await context.store.now();
    let soonest = now + SCHEDULES_RECHECK_MS;
    for (const schedule of list) {
      if (!context.leading()) break;
      const next = await step(context, schedule, now);
      if (next !== null) soonest = Math.min(soonest, next);
    }
    return Math.max(0, soonest - now);
  },
};
