/**
 * The job spec users write (JSON) and its validation. Hand-written rather than schema-library
 * based: the checks are few, the messages must name the field and the fix, and `queuectl enqueue`
 * must start fast (a schema library costs ~80 ms to import).
 */
import type { NewJob } from './job.js';
import { ValidationError } from './errors.js';
import { randomBytes } from './random-bytes.js';
import { didYouMean } from './suggest.js';
import { parseDuration, parseTimestamp } from './units.js';

export const SPEC_FIELDS = [
  'id',
  'command',
  'max_retries',
  'priority',
  'timeout_seconds',
  'run_at',
  'delay',
] as const;

export const LIMITS = {
  commandBytes: 64 * 1024,
  idLength: 128,
  maxRetries: 1000,
  priority: 1_000_000,
  timeoutSeconds: 365 * 86_400,
  /** Below a millisecond a timeout cannot be honoured: the run would be killed as it starts. */
  minTimeoutSeconds: 0.001,
} as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Defaults a spec falls back on; they come from config and the clock at enqueue time. */
export interface SpecDefaults {
  maxRetries: number;
  now: number;
}

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_CHARS = 12;
/** Random bytes drawn 4 KiB at a time: one randomBytes call per id cost ~5 µs (bulk enqueue). */
let randomPool: Buffer = Buffer.alloc(0);
let randomOffset = 0;

export function generateJobId(): string {
  if (randomOffset + ID_CHARS > randomPool.length) {
    randomPool = randomBytes(4096);
    randomOffset = 0;
  }
  let id = '';
  for (let i = 0; i < ID_CHARS; i++) id += ID_ALPHABET[randomPool[randomOffset + i]! & 31];
  randomOffset += ID_CHARS;
  return id;
}

export function checkJobId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string') throw new ValidationError(`${field} must be a string`);
  if (id.length === 0 || id.length > LIMITS.idLength) {
    throw new ValidationError(`${field} must be 1 to ${LIMITS.idLength} characters long`);
  }
  if (!ID_PATTERN.test(id) || id.includes('..')) {
    throw new ValidationError(
      `${field} "${printable(id)}" may only hold letters, digits, '.', '_', ':' and '-', must start with a letter or digit, and may not contain ".."`,
    );
  }
  return id;
}

function printable(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return shown.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${printable(value)}"`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(
      `${field} must be a whole number from ${min} to ${max}, not ${describe(value)}`,
    );
  }
  return value;
}

/** Validates one parsed JSON value as a job spec and fills in defaults. */
export function parseJobSpec(value: unknown, defaults: SpecDefaults): NewJob {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(
      `a job must be a JSON object like {"command":"echo hi"}, not ${describe(value)}`,
    );
  }
  const spec = value as Record<string, unknown>;
  for (const field of Object.keys(spec)) {
    if (!(SPEC_FIELDS as readonly string[]).includes(field)) {
      throw new ValidationError(
        `unknown field "${printable(field)}"${didYouMean(field, SPEC_FIELDS)}; known fields: ${SPEC_FIELDS.join(', ')}`,
      );
    }
  }

  const command = spec.command;
  if (command === undefined)
    throw new ValidationError('missing field "command": the shell command to run');
  if (typeof command !== 'string')
    throw new ValidationError(`command must be a string, not ${describe(command)}`);
  if (command.trim() === '') throw new ValidationError('command must not be empty');
  if (command.includes('\u0000')) throw new ValidationError('command must not contain a NUL byte');
  if (Buffer.byteLength(command) > LIMITS.commandBytes) {
    throw new ValidationError(`command is longer than the limit of ${LIMITS.commandBytes} bytes`);
  }

  const id = spec.id === undefined ? generateJobId() : checkJobId(spec.id);
  const maxRetries =
    spec.max_retries === undefined
      ? defaults.maxRetries
      : wholeNumber(spec.max_retries, 'max_retries', 0, LIMITS.maxRetries);
  const priority =
    spec.priority === undefined
      ? 0
      : wholeNumber(spec.priority, 'priority', -LIMITS.priority, LIMITS.priority);

  let timeoutSeconds: number | null = null;
  if (spec.timeout_seconds !== undefined && spec.timeout_seconds !== null) {
    const t = spec.timeout_seconds;
    if (
      typeof t !== 'number' ||
      !Number.isFinite(t) ||
      t < LIMITS.minTimeoutSeconds ||
      t > LIMITS.timeoutSeconds
    ) {
      throw new ValidationError(
        `timeout_seconds must be a number of seconds from ${LIMITS.minTimeoutSeconds} to ${LIMITS.timeoutSeconds}, not ${describe(t)}`,
      );
    }
    timeoutSeconds = t;
  }

  if (spec.run_at !== undefined && spec.delay !== undefined) {
    throw new ValidationError('give either run_at or delay, not both');
  }
  let runAt: number | null = null;
  if (spec.run_at !== undefined) {
    if (typeof spec.run_at !== 'string') {
      throw new ValidationError(
        `run_at must be a string like "2026-05-01T09:30:00Z", not ${describe(spec.run_at)}`,
      );
    }
    runAt = parseTimestamp(spec.run_at);
  } else if (spec.delay !== undefined) {
    if (typeof spec.delay !== 'string' && typeof spec.delay !== 'number') {
      throw new ValidationError(
        `delay must be a duration like "30s", "5m" or "2h", not ${describe(spec.delay)}`,
      );
    }
    if (typeof spec.delay === 'number' && !(spec.delay >= 0)) {
      throw new ValidationError(`delay must not be negative, not ${describe(spec.delay)}`);
    }
    runAt = defaults.now + parseDuration(String(spec.delay), 'delay');
  }

  return {
    id,
    command,
    max_retries: maxRetries,
    priority,
    timeout_seconds: timeoutSeconds,
    run_at: runAt,
  };
}
