/**
 * The job spec users write (JSON) and its validation. Hand-written rather than schema-library
 * based: the checks are few, the messages must name the field and the fix, and `queuectl enqueue`
 * must start fast (a schema library costs ~80 ms to import).
 */
import { DEFAULT_QUEUE, type JobChanges, type JobEnvironment, type NewJob } from './job.js';
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
  'cwd',
  'env',
  'queue',
  'after',
  'unique_key',
] as const;

export const LIMITS = {
  commandBytes: 64 * 1024,
  idLength: 128,
  maxRetries: 1000,
  priority: 1_000_000,
  timeoutSeconds: 365 * 86_400,
  /** Below a millisecond a timeout cannot be honoured: the run would be killed as it starts. */
  minTimeoutSeconds: 0.001,
  /** PATH_MAX on Linux. */
  cwdBytes: 4096,
  /** An environment's NAME=VALUE pairs (each counted with its '=' and NUL), in all. */
  envBytes: 1024 * 1024,
  envNames: 10_000,
  /** One NAME=VALUE (with its NUL): Linux refuses to pass a longer one to a program. */
  envVarBytes: 128 * 1024,
  /** The latest run_at `update` takes: 9999-12-31T23:59:59.999Z. */
  maxRunAt: 253_402_300_799_999,
  /** Jobs one job may be enqueued after. */
  afterIds: 1000,
  /** A unique key's bytes (UTF-8): it is indexed, and an index entry must stay small. */
  uniqueKeyBytes: 1024,
  /** A queue's concurrency limit. */
  concurrency: 100_000,
} as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/**
 * Defaults a spec falls back on; they come from config and the clock at enqueue time, and (from
 * the CLI) the enqueuer's directory and environment, which jobs then record. The library API
 * passes neither: a job records only what its spec gives.
 */
export interface SpecDefaults {
  maxRetries: number;
  now: number;
  /** The queue of specs that name none (default: `default`). */
  queue?: string;
  cwd?: string;
  /** Checked once by the caller (checkRecordedEnvironment), not per job. */
  env?: JobEnvironment;
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

/** A queue name: the same rules as a job id. */
export function checkQueueName(name: unknown, field = 'queue'): string {
  return checkJobId(name, field);
}

/**
 * The jobs a job is enqueued after: an array of job ids (repeats count once), at most
 * LIMITS.afterIds, never the job's own id.
 */
export function checkAfter(after: unknown, ownId: string, field = 'after'): string[] {
  if (!Array.isArray(after)) {
    throw new ValidationError(
      `${field} must be an array of job ids like ["build-1"], not ${describe(after)}`,
    );
  }
  if (after.length > LIMITS.afterIds) {
    throw new ValidationError(
      `${field} names ${after.length} jobs; a job can wait for at most ${LIMITS.afterIds}`,
    );
  }
  const ids = [...new Set(after.map((id) => checkJobId(id, field)))];
  if (ids.includes(ownId)) {
    throw new ValidationError(`${field}: job "${ownId}" cannot be enqueued after itself`);
  }
  return ids;
}

/** A unique key: text of 1 to LIMITS.uniqueKeyBytes bytes without control characters. */
export function checkUniqueKey(key: unknown, field = 'unique_key'): string {
  if (typeof key !== 'string') {
    throw new ValidationError(`${field} must be a string, not ${describe(key)}`);
  }
  if (key === '') throw new ValidationError(`${field} must not be empty`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw new ValidationError(`${field} must not contain control characters`);
  }
  const bytes = Buffer.byteLength(key);
  if (bytes > LIMITS.uniqueKeyBytes) {
    throw new ValidationError(
      `${field} is ${bytes} bytes; the limit is ${LIMITS.uniqueKeyBytes} (use a digest of a longer key)`,
    );
  }
  return key;
}

/** A queue's concurrency limit: a whole number from 1, or null for none. */
export function checkConcurrency(value: unknown, field = 'concurrency'): number | null {
  if (value === null) return null;
  return wholeNumber(value, field, 1, LIMITS.concurrency);
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

export function checkCommand(command: unknown): string {
  if (command === undefined)
    throw new ValidationError('missing field "command": the shell command to run');
  if (typeof command !== 'string')
    throw new ValidationError(`command must be a string, not ${describe(command)}`);
  if (command.trim() === '') throw new ValidationError('command must not be empty');
  if (command.includes('\u0000')) throw new ValidationError('command must not contain a NUL byte');
  if (Buffer.byteLength(command) > LIMITS.commandBytes) {
    throw new ValidationError(`command is longer than the limit of ${LIMITS.commandBytes} bytes`);
  }
  return command;
}

export function checkMaxRetries(value: unknown): number {
  return wholeNumber(value, 'max_retries', 0, LIMITS.maxRetries);
}

export function checkPriority(value: unknown): number {
  return wholeNumber(value, 'priority', -LIMITS.priority, LIMITS.priority);
}

/** A run-time limit in seconds; null (or undefined) means none. */
export function checkTimeoutSeconds(t: unknown): number | null {
  if (t === undefined || t === null) return null;
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
  return t;
}

/** A working directory: an absolute path (whether it exists is found out where the job runs). */
export function checkCwd(cwd: unknown, field = 'cwd'): string {
  if (typeof cwd !== 'string') {
    throw new ValidationError(`${field} must be an absolute path (a string), not ${describe(cwd)}`);
  }
  if (cwd.includes('\u0000')) throw new ValidationError(`${field} must not contain a NUL byte`);
  if (!cwd.startsWith('/')) {
    throw new ValidationError(
      `${field} must be an absolute path (starting with /), not ${describe(cwd)}`,
    );
  }
  if (Buffer.byteLength(cwd) > LIMITS.cwdBytes) {
    throw new ValidationError(`${field} is longer than the limit of ${LIMITS.cwdBytes} bytes`);
  }
  return cwd;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Variables a job spec sets: an object of string values under names a shell accepts. The
 * values are secrets: no message quotes one.
 */
export function checkEnvVars(env: unknown, field = 'env'): Record<string, string> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new ValidationError(
      `${field} must be an object like {"NAME":"value"}, not ${describe(env)}`,
    );
  }
  const vars = env as Record<string, unknown>;
  for (const name of Object.keys(vars)) {
    if (!ENV_NAME.test(name)) {
      throw new ValidationError(
        `${field}: "${printable(name)}" is not a variable name; use letters, digits and _, not starting with a digit`,
      );
    }
    const value = vars[name];
    if (typeof value !== 'string') {
      throw new ValidationError(
        `${field}: the value of ${name} must be a string, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
      );
    }
  }
  checkEnvSize(vars as Record<string, string>, field);
  return vars as Record<string, string>;
}

/**
 * The environment the CLI records for its jobs (its own): checked once per enqueue, more
 * leniently than a spec's names (a shell may export names like BASH_FUNC_f%%), but every pair
 * must be one that can be passed to a program.
 */
export function checkRecordedEnvironment(env: JobEnvironment): JobEnvironment {
  checkEnvSize(env.vars, 'the recorded environment');
  return env;
}

function checkEnvSize(vars: Record<string, string>, field: string): void {
  let total = 0;
  let count = 0;
  for (const name of Object.keys(vars)) {
    const value = vars[name]!;
    if (name === '' || name.includes('=') || name.includes('\u0000')) {
      throw new ValidationError(`${field}: "${printable(name)}" is not a variable name`);
    }
    if (value.includes('\u0000')) {
      throw new ValidationError(`${field}: the value of ${printable(name)} contains a NUL byte`);
    }
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
    if (bytes > LIMITS.envVarBytes) {
      throw new ValidationError(
        `${field}: ${printable(name)} is longer than ${LIMITS.envVarBytes} bytes (with its name), more than Linux passes to a program`,
      );
    }
    total += bytes;
    count++;
  }
  if (count > LIMITS.envNames) {
    throw new ValidationError(`${field} has ${count} variables; the limit is ${LIMITS.envNames}`);
  }
  if (total > LIMITS.envBytes) {
    throw new ValidationError(
      `${field} is ${total} bytes (NAME=VALUE pairs); the limit is ${LIMITS.envBytes}`,
    );
  }
}

/** The environment a job records: the recorded one with the spec's variables over it, or the spec's over the worker's. */
function jobEnvironment(specEnv: unknown, defaults: SpecDefaults): JobEnvironment | null {
  if (specEnv === undefined) return defaults.env ?? null;
  const vars = checkEnvVars(specEnv);
  if (!defaults.env) return { vars, inherit: true };
  const merged = { vars: { ...defaults.env.vars, ...vars }, inherit: defaults.env.inherit };
  checkEnvSize(merged.vars, 'env (with the recorded environment)');
  return merged;
}

/** A run_at in epoch milliseconds, as `update` takes it. */
export function checkRunAtMs(runAt: unknown): number {
  if (
    typeof runAt !== 'number' ||
    !Number.isInteger(runAt) ||
    runAt < 0 ||
    runAt > LIMITS.maxRunAt
  ) {
    throw new ValidationError(
      `run_at must be a time in milliseconds since 1970 up to the year 9999, not ${describe(runAt)}`,
    );
  }
  return runAt;
}

const CHANGE_FIELDS = ['priority', 'run_at', 'max_retries', 'timeout_seconds', 'command'] as const;

/** Validates the changes of `update` with the rules of a job spec; at least one is required. */
export function checkJobChanges(changes: JobChanges): JobChanges {
  if (typeof changes !== 'object' || changes === null) {
    throw new ValidationError('changes must be an object');
  }
  const given = Object.keys(changes).filter(
    (key) => (changes as Record<string, unknown>)[key] !== undefined,
  );
  for (const key of given) {
    if (!(CHANGE_FIELDS as readonly string[]).includes(key)) {
      throw new ValidationError(
        `"${printable(key)}" cannot be updated; these can: ${CHANGE_FIELDS.join(', ')}`,
      );
    }
  }
  if (given.length === 0) {
    throw new ValidationError(`name something to change: ${CHANGE_FIELDS.join(', ')}`);
  }
  const checked: JobChanges = {};
  if (changes.priority !== undefined) checked.priority = checkPriority(changes.priority);
  if (changes.run_at !== undefined) checked.run_at = checkRunAtMs(changes.run_at);
  if (changes.max_retries !== undefined) checked.max_retries = checkMaxRetries(changes.max_retries);
  if (changes.timeout_seconds !== undefined) {
    checked.timeout_seconds = checkTimeoutSeconds(changes.timeout_seconds);
  }
  if (changes.command !== undefined) checked.command = checkCommand(changes.command);
  return checked;
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

  const command = checkCommand(spec.command);
  const id = spec.id === undefined ? generateJobId() : checkJobId(spec.id);
  const maxRetries =
    spec.max_retries === undefined ? defaults.maxRetries : checkMaxRetries(spec.max_retries);
  const priority = spec.priority === undefined ? 0 : checkPriority(spec.priority);
  const timeoutSeconds = checkTimeoutSeconds(spec.timeout_seconds);

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
    cwd: spec.cwd === undefined ? (defaults.cwd ?? null) : checkCwd(spec.cwd),
    env: jobEnvironment(spec.env, defaults),
    queue:
      spec.queue === undefined ? (defaults.queue ?? DEFAULT_QUEUE) : checkQueueName(spec.queue),
    unique_key: spec.unique_key === undefined ? null : checkUniqueKey(spec.unique_key),
    after: spec.after === undefined ? [] : checkAfter(spec.after, id),
  };
}
