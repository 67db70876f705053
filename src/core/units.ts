/** Parsers for the human-friendly values users type: durations, byte sizes, timestamps. */
import { ValidationError } from './errors.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/y;

/**
 * "30s", "5m", "2h", "1.5s", "250ms", "1d", and compound forms as printed ("1h30m", "2m30s",
 * "3d4h"); a bare number is seconds. Returns milliseconds.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  let ms: number | null = null;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else if (trimmed !== '') {
    DURATION_PART.lastIndex = 0;
    let sum = 0;
    for (;;) {
      const part = DURATION_PART.exec(trimmed);
      if (!part) break;
      sum += Number(part[1]) * DURATION_UNITS[part[2]!]!;
      while (trimmed[DURATION_PART.lastIndex] === ' ') DURATION_PART.lastIndex++;
      if (DURATION_PART.lastIndex === trimmed.length) {
        ms = sum;
        break;
      }
    }
  }
  if (ms === null) {
    throw new ValidationError(
      `${what} "${text}" is not a duration; use a form like 30s, 5m, 2h or 1h30m`,
    );
  }
  if (!Number.isFinite(ms) || ms > 10 * 365 * 86_400_000) {
    throw new ValidationError(`${what} "${text}" is too large; at most 10 years`);
  }
  return ms;
}

/** Formats milliseconds as a short duration: 850ms, 4s, 2m30s, 3h5m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    const s = totalSeconds % 60;
    return `${Math.floor(totalSeconds / 60)}m${s ? `${s}s` : ''}`;
  }
  const totalMinutes = Math.round(totalSeconds / 60);
  if (totalMinutes < 24 * 60) {
    const m = totalMinutes % 60;
    return `${Math.floor(totalMinutes / 60)}h${m ? `${m}m` : ''}`;
  }
  const h = Math.floor((totalMinutes % 1440) / 60);
  return `${Math.floor(totalMinutes / 1440)}d${h ? `${h}h` : ''}`;
}

/** Formats a byte count the way sizes are typed: 1KiB, 512KiB, 1MiB, 1.5GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${+value.toFixed(2)}${units[unit]}`;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** "1MiB", "512k", "1048576" → bytes. */
export function parseBytes(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = BYTE_UNITS[match?.[2]?.toLowerCase() ?? 'x'];
  if (!match || unit === undefined) {
    throw new ValidationError(
      `${what} "${text}" is not a size; use a form like 1MiB, 512KiB or 1048576`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}

/**
 * ISO-8601 date and time, `T` or a space between them, seconds and fraction optional, and a zone
 * (`Z`, `+02:00`, `+0200`) optional: without one it is the local time of this machine (TZ).
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|([+-])(\d{2}):?(\d{2}))?$/i;

const EXAMPLES =
  'use a form like 2026-05-01T09:30:00Z, 2026-05-01T11:30:00+02:00 or 2026-05-01 09:30';

/**
 * A timestamp as users write it: ISO-8601 with a `Z` or an offset, or without a zone (the local
 * time of this machine, so `TZ` is honoured). Times that do not exist (February 30, a local
 * time skipped by a daylight-saving change) are refused rather than rolled over.
 */
export function parseTimestamp(text: string, what = 'run_at'): number {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) {
    throw new ValidationError(`${what} "${text}" is not a date and time; ${EXAMPLES}`);
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((f) => Number(f ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
  const [zoneHours, zoneMinutes] = [Number(match[10] ?? 0), Number(match[11] ?? 0)];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 ? 1 : 0);
  const leapDay = month === 2 && day === 29 && new Date(Date.UTC(year, 1, 29)).getUTCDate() === 29;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    (day > daysInMonth && !leapDay) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    zoneHours > 23 ||
    zoneMinutes > 59
  ) {
    throw new ValidationError(
      `${what} "${text}" is not a real date and time (check the day of the month, hours, minutes and offset)`,
    );
  }
  const date = new Date(0);
  if (match[8] === undefined) {
    date.setFullYear(year, month - 1, day);
    date.setHours(hour, minute, second, millis);
    if (date.getHours() !== hour || date.getMinutes() !== minute || date.getDate() !== day) {
      throw new ValidationError(
        `${what} "${text}" does not exist in this machine's time zone (a daylight-saving change skips it); give an offset or another time`,
      );
    }
    return date.getTime();
  }
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const sign = match[9] === '-' ? -1 : 1;
  return date.getTime() - sign * (zoneHours * 60 + zoneMinutes) * 60_000;
}
