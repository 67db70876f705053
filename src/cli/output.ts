/** Human output (aligned tables, colour only on a TTY without NO_COLOR) and --json output. */
import { formatDuration } from '../core/units.js';

const TIME_FIELDS = /_at$/;

/** JSON with epoch-millisecond timestamps (fields ending in _at) as ISO-8601 strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (key, v: unknown) =>
      typeof v === 'number' && TIME_FIELDS.test(key) ? new Date(v).toISOString() : v,
    2,
  );
}

/**
 * Colour on a terminal, never with NO_COLOR (https://no-color.org: set and not empty); FORCE_COLOR
 * (set, and not 0 or false) turns it on for pipes too, unless NO_COLOR says otherwise.
 */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.toLowerCase());
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
}

const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
} as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color | undefined): string {
  if (!color || !useColor()) return text;
  return `\u001b[${CODES[color]}m${text}\u001b[0m`;
}

export const STATE_COLORS: Record<string, Color> = {
  pending: 'blue',
  processing: 'cyan',
  completed: 'green',
  failed: 'yellow',
  dead: 'red',
  cancelled: 'gray',
};

/** A single line of a possibly multi-line text, shortened to `max` characters if given. */
export function oneLine(text: string | null, max = Infinity): string {
  if (!text) return '';
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return '-';
  const delta = now - ms;
  return delta >= 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(-delta)}`;
}

export function timestamp(ms: number | null): string {
  return ms === null
    ? '-'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}
