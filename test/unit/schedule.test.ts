/**
 * Schedule rules with an injected clock: slots of cron expressions in time zones (through
 * croner), daylight-saving gaps and repeats, --every periods, and what a due slot becomes
 * (fire, skip on overlap, miss, catch up; a clock that went back).
 */
import { describe, expect, it } from 'vitest';
import {
  checkEvery,
  checkScheduleName,
  checkTimezone,
  cronRule,
  decideSlot,
  everyRule,
  slotJobId,
  type SlotRule,
} from '../../src/core/schedule.js';
import { checkJobId } from '../../src/core/job-spec.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The slots of `rule` after `from`, `n` of them. */
function slots(rule: SlotRule, from: string, n: number): (string | null)[] {
  const out: (string | null)[] = [];
  let t: number | null = at(from);
  for (let i = 0; i < n && t !== null; i++) {
    t = rule.next(t);
    out.push(iso(t));
  }
  return out;
}

const base = {
  next_at: 0,
  paused: false,
  overlap: 'skip' as const,
  catch_up: false,
  last_job_state: null,
  every_ms: null,
};

describe('schedule slots', () => {
  it('reads a cron expression in its time zone', async () => {
    const rule = await cronRule('0 2 * * *', 'America/New_York');
    expect(slots(rule, '2026-06-01T00:00:00Z', 2)).toEqual([
      '2026-06-01T06:00:00.000Z', // 02:00 EDT
      '2026-06-02T06:00:00.000Z',
    ]);
    expect(slots(await cronRule('0 2 * * *', null), '2026-06-01T00:00:00Z', 1)).toEqual([
      '2026-06-01T02:00:00.000Z', // UTC by default
    ]);
    expect(iso(rule.latest(at('2026-06-02T06:00:00Z')))).toBe('2026-06-02T06:00:00.000Z');
    expect(iso(rule.latest(at('2026-06-02T05:59:59Z')))).toBe('2026-06-01T06:00:00.000Z');
  });

  it('fires a daily slot in a daylight-saving gap once, after the gap, and a repeated hour once', async () => {
    const rule = await cronRule('30 2 * * *', 'Europe/Berlin');
    // 2026-03-29: 02:00-03:00 does not exist in Berlin; the slot runs at 03:00 CEST.
    expect(slots(rule, '2026-03-28T00:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    // 2026-10-25: 02:30 happens twice (CEST, then CET); the slot runs once.
    expect(slots(rule, '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
    // Every slot is its own instant, so slot job ids never repeat, even in the repeated hour.
    const half = await cronRule('*/30 * * * *', 'Europe/Berlin');
    const repeated = slots(half, '2026-10-24T23:45:00Z', 6);
    expect(new Set(repeated).size).toBe(6);
  });

  it('knows an expression that never fires, and refuses a bad one or zone', async () => {
    const never = await cronRule('0 0 30 2 *', null);
    expect(never.next(at('2026-01-01T00:00:00Z'))).toBeNull();
    await expect(cronRule('bogus', null)).rejects.toThrow(/cron expression "bogus" is not valid/);
    await expect(cronRule('61 * * * *', null)).rejects.toThrow(/minute/);
    await expect(cronRule('0 0 0 * * * *', null)).rejects.toThrow(/not valid/);
    expect(() => checkTimezone('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(checkTimezone('Europe/Berlin')).toBe('Europe/Berlin');
  });

  it('spaces --every slots from their anchor, and refuses periods under a second or over a year', () => {
    const rule = everyRule(at('2026-01-01T00:00:00Z'), 90_000);
    expect(slots(rule, '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-01T00:01:30.000Z',
      '2026-01-01T00:03:00.000Z',
    ]);
    expect(iso(rule.latest(at('2026-01-01T00:04:00Z')))).toBe('2026-01-01T00:03:00.000Z');
    expect(() => checkEvery(1)).toThrow(/from 1s to 365d/);
    expect(() => checkEvery(999)).toThrow(/from 1s/);
    expect(checkEvery(30 * 86_400_000)).toBe(30 * 86_400_000); // longer than a Node timer
    expect(() => checkEvery(366 * 86_400_000)).toThrow(/to 365d/);
  });

  it('names slot jobs with valid job ids, also for the longest name', () => {
    const name = `a${'b'.repeat(63)}`;
    expect(checkScheduleName(name)).toBe(name);
    const id = slotJobId(name, at('2026-01-01T00:00:00.250Z'));
    expect(id).toBe(`${name}:2026-01-01T00:00:00.250Z`);
    expect(checkJobId(id)).toBe(id);
    expect(slotJobId('n', at('2026-01-01T00:00:00Z'))).toBe('n:2026-01-01T00:00:00Z');
    for (const bad of ['', 'a'.repeat(65), 'a:b', '-a', 'a..b', 'a b', 'é']) {
      expect(() => checkScheduleName(bad), bad).toThrow(/schedule name/);
    }
  });
});

describe('what a due slot becomes', () => {
  const rule = everyRule(0, 1000);
  const grace = 60_000;

  it('fires the slot that is due, and nothing before it is due', () => {
    expect(decideSlot({ ...base, next_at: 5000 }, rule, 4999, grace)).toBeNull();
    expect(decideSlot({ ...base, next_at: 5000 }, rule, 5000, grace)).toEqual({
      action: 'fire',
      slotAt: 5000,
      nextAt: 6000,
      missed: 0,
    });
    expect(decideSlot({ ...base, next_at: 5000, paused: true }, rule, 9000, grace)).toBeNull();
  });

  it('fires only the latest of several due slots, counting the others missed', () => {
    expect(decideSlot({ ...base, next_at: 5000 }, rule, 8500, grace)).toEqual({
      action: 'fire',
      slotAt: 8000,
      nextAt: 9000,
      missed: 3,
    });
  });

  it('misses slots late past the grace, unless catch-up runs one for the latest', () => {
    const now = 12 * 60_000; // the latest slot (10 min) is 2 min late
    expect(decideSlot({ ...base, next_at: 0 }, everyRule(0, 300_000), now, grace)).toEqual({
      action: 'miss',
      slotAt: 600_000,
      nextAt: 900_000,
      missed: 3,
    });
    expect(
      decideSlot({ ...base, next_at: 0, catch_up: true }, everyRule(0, 300_000), now, grace),
    ).toEqual({ action: 'fire', slotAt: 600_000, nextAt: 900_000, missed: 2 });
  });

  it('skips a slot while the last job still waits or runs (overlap skip), not with allow', () => {
    for (const state of ['pending', 'failed', 'processing'] as const) {
      expect(
        decideSlot({ ...base, next_at: 5000, last_job_state: state }, rule, 5000, grace)!.action,
      ).toBe('skip');
      expect(
        decideSlot(
          { ...base, next_at: 5000, last_job_state: state, overlap: 'allow' },
          rule,
          5000,
          grace,
        )!.action,
      ).toBe('fire');
    }
    for (const state of ['completed', 'dead', 'cancelled', null] as const) {
      expect(
        decideSlot({ ...base, next_at: 5000, last_job_state: state }, rule, 5000, grace)!.action,
      ).toBe('fire');
    }
  });

  it('finds nothing due when the clock went back, and fires on when it comes forward again', () => {
    // The slot at 5000 fired; the next is 6000. The clock jumps back an hour.
    expect(decideSlot({ ...base, next_at: 6000 }, rule, 6000 - 3_600_000, grace)).toBeNull();
    expect(decideSlot({ ...base, next_at: 6000 }, rule, 6000, grace)!.slotAt).toBe(6000);
  });

  it('counts missed cron slots without walking years of them', async () => {
    const minutely = await cronRule('* * * * *', null);
    const start = at('2020-01-01T00:00:00Z');
    const now = at('2026-01-01T00:00:30Z');
    const t = performance.now();
    const decision = decideSlot({ ...base, next_at: start }, minutely, now, grace)!;
    expect(performance.now() - t).toBeLessThan(2000);
    expect(decision).toMatchObject({ action: 'fire', slotAt: at('2026-01-01T00:00:00Z') });
    expect(iso(decision.nextAt)).toBe('2026-01-01T00:01:00.000Z');
    expect(decision.missed).toBe(1000); // counted up to the limit
  });
});
