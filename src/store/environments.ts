/**
 * How job environments are stored (both stores): one row per distinct environment in the
 * `environments` table, which jobs point to (`env_id`), so a million jobs enqueued from one
 * shell share one row. `vars` is canonical JSON (names sorted), so equal environments are equal
 * text and the unique index finds them; `names` (a JSON array) serves reads that must not load
 * the values.
 */
import type { JobEnvironment } from '../core/job.js';

export interface EncodedEnvironment {
  inherit: boolean;
  /** Canonical JSON of the variables: names sorted, no spaces. */
  vars: string;
  /** JSON array of the names, sorted. */
  names: string;
}

/**
 * Remembers the last environment encoded: a batch's jobs usually share one environment object
 * (the enqueuer's), which is then encoded once rather than once per job.
 */
let lastEnv: JobEnvironment | null = null;
let lastEncoded: EncodedEnvironment | null = null;

export function encodeEnvironment(env: JobEnvironment): EncodedEnvironment {
  if (env === lastEnv && lastEncoded) return lastEncoded;
  const names = Object.keys(env.vars).sort(byCodePoint);
  // Built by hand: an object would put integer-like names first, whatever the sort.
  const vars = `{${names.map((name) => `${JSON.stringify(name)}:${JSON.stringify(env.vars[name])}`).join(',')}}`;
  lastEnv = env;
  lastEncoded = { inherit: env.inherit, vars, names: JSON.stringify(names) };
  return lastEncoded;
}

/** The key under which an encoded environment is found again (inherit and the variables). */
export function environmentKey(encoded: Pick<EncodedEnvironment, 'inherit' | 'vars'>): string {
  return `${encoded.inherit ? 1 : 0}${encoded.vars}`;
}

/** How many decoded environments are kept for decodeEnvironment to hand out again. */
const DECODED_KEPT = 32;
const decoded = new Map<string, JobEnvironment>();

/**
 * The environment stored as `vars`, frozen. The same text gives the same object while it is one
 * of the last DECODED_KEPT decoded: a worker claims job after job recorded from one shell, and
 * its launcher prepares an environment it has seen before once (posix-spawn-launcher.ts), not
 * for every job.
 */
export function decodeEnvironment(inherit: unknown, vars: string): JobEnvironment {
  // SQLite has no booleans: 1 there, true in PostgreSQL.
  const inherits = inherit === true || inherit === 1;
  const key = environmentKey({ inherit: inherits, vars });
  const known = decoded.get(key);
  if (known) return known;
  const env = Object.freeze({
    inherit: inherits,
    vars: Object.freeze(JSON.parse(vars) as Record<string, string>),
  });
  if (decoded.size >= DECODED_KEPT) decoded.delete(decoded.keys().next().value!);
  decoded.set(key, env);
  return env;
}

export function decodeNames(names: unknown): string[] | null {
  return typeof names === 'string' ? (JSON.parse(names) as string[]) : null;
}

/** Sorts by UTF-16 code unit, the same in every locale (Array.prototype.sort's default). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
