/**
 * Configuration keys: one table from which validation, defaults, `config list`, --help and the
 * README are built. Values are stored as the strings users typed and parsed on read.
 */
import type { BackoffPolicy } from './backoff.js';
import { ValidationError } from './errors.js';
import { didYouMean } from './suggest.js';
import { formatBytes, formatDuration, parseBytes, parseDuration } from './units.js';

export interface Settings {
  maxRetries: number;
  backoff: BackoffPolicy;
  leaseTimeoutMs: number;
  jobTimeoutSeconds: number | null;
  killGraceMs: number;
  outputLimitBytes: number;
  pollIntervalMs: number;
  workerCount: number;
  /** Jobs each worker process runs at once (config worker-concurrency). */
  workerConcurrency: number;
  // Issue 15: retention (null: forever) and completion hooks.
  keepCompletedMs: number | null;
  keepDeadMs: number | null;
  keepCancelledMs: number | null;
  hookTimeoutMs: number;
}

interface KeySpec {
  description: string;
  default: string;
  /** The accepted values, as --help and errors say it ("1s to 7d"). */
  range: string;
  /** The largest value accepted (tests try it: every timer must hold it). */
  largest: string;
  /** Throws a ValidationError for a bad value; returns the canonical string to store. */
  check(value: string): string;
}

function integer(min: number, max: number): Pick<KeySpec, 'range' | 'largest' | 'check'> {
  return {
    range: `a whole number from ${min} to ${max}`,
    largest: String(max),
    check(value: string): string {
      if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
        throw new ValidationError(`must be a whole number from ${min} to ${max}`);
      }
      return String(Number(value));
    },
  };
}

function number(min: number, max: number): Pick<KeySpec, 'range' | 'largest' | 'check'> {
  return {
    range: `a number from ${min} to ${max}`,
    largest: String(max),
    check(value: string): string {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
        throw new ValidationError(`must be a number from ${min} to ${max}`);
      }
      return String(n);
    },
  };
}

/**
 * A duration from `minMs` to `maxMs`; `word` ("none", "forever") is accepted too when given, for
 * no limit.
 */
function duration(
  minMs: number,
  maxMs: number,
  word?: 'none' | 'forever',
): Pick<KeySpec, 'range' | 'largest' | 'check'> {
  const range = `from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`;
  return {
    range: `a duration ${range}${word ? `, or ${word}` : ''}`,
    largest: formatDuration(maxMs),
    check(value: string): string {
      if (word && value.trim().toLowerCase() === word) return word;
      const ms = parseDuration(value, 'value');
      if (ms < minMs || ms > maxMs) {
        throw new ValidationError(`must be a duration ${range}${word ? ` (or ${word})` : ''}`);
      }
      return value.trim();
    },
  };
}

function bytes(min: number, max: number): Pick<KeySpec, 'range' | 'largest' | 'check'> {
  const range = `from ${formatBytes(min)} to ${formatBytes(max)}`;
  return {
    range: `a size ${range}`,
    largest: formatBytes(max),
    check(value: string): string {
      const n = parseBytes(value, 'value');
      if (n < min || n > max) throw new ValidationError(`must be a size ${range}`);
      return value.trim();
    },
  };
}

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export const CONFIG_KEYS = {
  'max-retries': {
    description: 'Retries after the first run, for jobs that do not set max_retries',
    default: '3',
    ...integer(0, 1000),
  },
  'backoff-base': {
    description: 'A job that failed run n waits backoff-base^n seconds before running again',
    default: '2',
    ...number(1, 1000),
  },
  'backoff-max': {
    description: 'Upper bound on the backoff delay (e.g. 1h)',
    default: '1h',
    ...duration(0, 365 * DAY),
  },
  'lease-timeout': {
    description: "A held job whose worker's heartbeats stop for this long is run again",
    default: '30s',
    ...duration(SECOND, 7 * DAY),
  },
  'job-timeout': {
    description: 'Default run-time limit for jobs without timeout_seconds ("none" for no limit)',
    default: 'none',
    ...duration(1, 365 * DAY, 'none'),
  },
  'kill-grace': {
    description: 'Time between SIGTERM and SIGKILL when a job times out or is stopped',
    default: '5s',
    ...duration(0, HOUR),
  },
  'output-limit': {
    description: 'Bytes of stdout and of stderr kept per run; the rest is dropped and counted',
    default: '1MiB',
    ...bytes(1024, 1024 ** 3),
  },
  'worker-count': {
    description: 'Worker processes `worker start` runs when --count is not given',
    default: '1',
    ...integer(1, 256),
  },
  'worker-concurrency': {
    description:
      'Jobs each worker process runs at once when `worker start --concurrency` is not given',
    default: '1',
    ...integer(1, 256),
  },
  'poll-interval': {
    description: 'Idle workers also look for work this often, in case a wake-up was missed',
    default: '1s',
    ...duration(10, HOUR),
  },
  // Issue 15: retention of finished jobs (by their finish time) and completion hooks.
  'keep-completed': {
    description:
      'Completed jobs are deleted (with their attempts and output files) this long after they finished ("forever" keeps them)',
    default: '7d',
    ...duration(0, 365 * DAY, 'forever'),
  },
  'keep-dead': {
    description: 'Dead jobs are deleted this long after they died ("forever" keeps them)',
    default: '30d',
    ...duration(0, 365 * DAY, 'forever'),
  },
  'keep-cancelled': {
    description:
      'Cancelled jobs are deleted this long after they were cancelled ("forever" keeps them)',
    default: '7d',
    ...duration(0, 365 * DAY, 'forever'),
  },
  'hook-timeout': {
    description: 'A completion hook still running after this long is killed (its whole session)',
    default: '10s',
    ...duration(100, HOUR),
  },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export const CONFIG_KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];

/** Other names for keys, as other implementations of queuectl spell them. */
const KEY_ALIASES: Record<string, ConfigKey> = {
  'default-max-retries': 'max-retries',
};

/**
 * Accepts `max_retries` and `MAX-RETRIES` as spellings of `max-retries`, and the aliases
 * (`default_max_retries`).
 */
export function normalizeConfigKey(key: string): ConfigKey {
  const normalized = key.trim().toLowerCase().replace(/_/g, '-');
  if ((CONFIG_KEY_NAMES as string[]).includes(normalized)) return normalized as ConfigKey;
  const alias = KEY_ALIASES[normalized];
  if (alias) return alias;
  throw new ValidationError(
    `unknown config key "${key}"${didYouMean(normalized, CONFIG_KEY_NAMES)}; known keys: ${CONFIG_KEY_NAMES.join(', ')}`,
  );
}

/** Validates a value for a key and returns the canonical string to store. */
export function checkConfigValue(key: ConfigKey, value: string): string {
  try {
    return CONFIG_KEYS[key].check(value);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(`bad value "${value}" for ${key}: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Stored values over defaults, parsed into the settings code uses. A stored value this version
 * does not accept (written by another version, or by hand) counts as unset: a bad row must not
 * stop every worker. `config list` still shows what is stored.
 */
export function resolveSettings(stored: Partial<Record<string, string>>): Settings {
  const value = (key: ConfigKey): string => {
    const given = stored[key];
    if (given === undefined) return CONFIG_KEYS[key].default;
    try {
      return CONFIG_KEYS[key].check(given);
    } catch {
      return CONFIG_KEYS[key].default;
    }
  };
  const jobTimeout = value('job-timeout');
  const keep = (key: ConfigKey): number | null => {
    const kept = value(key);
    return kept === 'forever' ? null : parseDuration(kept);
  };
  return {
    maxRetries: Number(value('max-retries')),
    backoff: {
      base: Number(value('backoff-base')),
      maxSeconds: parseDuration(value('backoff-max')) / 1000,
    },
    leaseTimeoutMs: parseDuration(value('lease-timeout')),
    jobTimeoutSeconds: jobTimeout === 'none' ? null : parseDuration(jobTimeout) / 1000,
    killGraceMs: parseDuration(value('kill-grace')),
    outputLimitBytes: parseBytes(value('output-limit')),
    pollIntervalMs: parseDuration(value('poll-interval')),
    workerCount: Number(value('worker-count')),
    workerConcurrency: Number(value('worker-concurrency')),
    keepCompletedMs: keep('keep-completed'),
    keepDeadMs: keep('keep-dead'),
    keepCancelledMs: keep('keep-cancelled'),
    hookTimeoutMs: parseDuration(value('hook-timeout')),
  };
}
