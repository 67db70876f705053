import { afterEach, describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../src/core/units.js';

const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('timestamps', () => {
  it('reads a zone or an offset in every spelling', () => {
    const instant = Date.UTC(2026, 4, 1, 9, 30);
    for (const text of [
      '2026-05-01T09:30:00Z',
      '2026-05-01T09:30Z',
      '2026-05-01 09:30:00z',
      '2026-05-01T11:30:00+02:00',
      '2026-05-01T11:30:00+0200',
      '2026-05-01T06:00:00-03:30',
    ]) {
      expect(parseTimestamp(text), text).toBe(instant);
    }
    expect(parseTimestamp('2026-05-01T09:30:00.123456Z')).toBe(instant + 123);
  });

  it('reads a time without a zone as local time, honouring TZ', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(parseTimestamp('2025-11-10T18:30:00')).toBe(Date.UTC(2025, 10, 10, 17, 30));
    expect(parseTimestamp('2026-12-01 09:00')).toBe(Date.UTC(2026, 11, 1, 8, 0));
    expect(parseTimestamp('2026-07-01 09:00')).toBe(Date.UTC(2026, 6, 1, 7, 0)); // summer time
    process.env.TZ = 'America/New_York';
    expect(parseTimestamp('2026-12-01 09:00')).toBe(Date.UTC(2026, 11, 1, 14, 0));
    process.env.TZ = 'UTC';
    expect(parseTimestamp('2026-12-01 09:00')).toBe(Date.UTC(2026, 11, 1, 9, 0));
  });

  it('refuses a local time that a daylight-saving change skips', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(() => parseTimestamp('2026-03-29 02:30')).toThrow(/does not exist in this machine/);
    expect(parseTimestamp('2026-03-29 03:30')).toBe(Date.UTC(2026, 2, 29, 1, 30));
  });

  it('refuses dates and times that do not exist instead of rolling them over', () => {
    for (const text of [
      '2026-02-30T10:00:00Z',
      '2026-02-29 10:00',
      '2026-13-01 10:00',
      '2026-04-31T10:00Z',
      '2026-05-01T24:00Z',
      '2026-05-01T10:60Z',
      '2026-05-01T10:00:60Z',
      '2026-05-01T10:00+24:00',
    ]) {
      expect(() => parseTimestamp(text), text).toThrow(/not a real date and time/);
    }
    expect(parseTimestamp('2028-02-29T10:00:00Z')).toBe(Date.UTC(2028, 1, 29, 10));
  });

  it('refuses what it cannot read, with examples', () => {
    for (const text of ['', 'tomorrow', '2026-05-01', '2026-5-1 09:30', '09:30', '2026-05-01T09']) {
      expect(() => parseTimestamp(text), text).toThrow(/use a form like 2026-05-01T09:30:00Z/);
    }
  });
});
