/**
 * How a worker process tells its supervisor why it ended, and the messages they exchange.
 * 0: stopped or drained (not replaced). STORE_BROKEN: the database is broken (not replaced; the
 * supervisor stops the others and `worker start` fails). Anything else: a crash (replaced).
 */
export const STORE_BROKEN_EXIT = 74; // sysexits' EX_IOERR

/** Worker → supervisor, just before a STORE_BROKEN exit: what is wrong with the database. */
export interface StoreBrokenMessage {
  type: 'store-broken';
  problem: string;
}

/**
 * Supervisor → a worker started held (--hold): the database passed the supervisor's checks; open
 * it and start. A held worker that loses its supervisor first exits without touching it.
 */
export interface GoMessage {
  type: 'go';
  /** For a worker forked early (early-worker.cts), which knows neither yet. */
  db?: string;
  args?: string[];
}

/** A held worker → its supervisor: started, waiting for go (nothing opened yet). */
export interface HeldMessage {
  type: 'held';
}

/**
 * A worker → its supervisor: it has made its first claim (whatever it found). The supervisor
 * starts the other workers then, so that they boot beside the first job rather than before it.
 */
export interface FirstClaimMessage {
  type: 'first-claim';
}

/** Supervisor → worker: stop at once, as a second Ctrl+C would. */
export interface StopNowMessage {
  type: 'stop-now';
}

export function isMessage<T extends { type: string }>(value: unknown, type: T['type']): value is T {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}
