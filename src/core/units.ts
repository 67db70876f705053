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

const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/i;

/** Whether the fields name a real moment: Date.parse quietly rolls 2026-02-30 over to March. */
function realFields(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second = 0, zoneHours = 0, zoneMinutes = 0] = match
    .slice(1)
    .map((field) => (field === undefined ? undefined : Number(field)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return (
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second <= 59 &&
    zoneHours <= 23 &&
    zoneMinutes <= 59
  );
}

/** An ISO-8601 timestamp with a `Z` or an offset; anything else is refused with an example. */
export function parseTimestamp(text: string, what = 'run_at'): number {
  const match = ISO_WITH_ZONE.exec(text);
  if (match && !realFields(match)) {
    throw new ValidationError(
      `${what} "${text}" is not a real date and time (check the day of the month, hours, minutes and offset)`,
    );
  }
  const ms = match ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(
      `${what} "${text}" is not an ISO-8601 time with a zone; use a form like 2026-05-01T09:30:00Z or 2026-05-01T11:30:00+02:00`,
    );
  }
  return ms;
}
