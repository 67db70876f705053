/**
 * How the PostgreSQL store connects: the URL's `?schema=name` picks the schema (default
 * `queuectl`), every connection gets it as its search_path so the SQL never names it, and bigint
 * columns (epoch milliseconds, counts) arrive as numbers.
 */
import pg from 'pg';
import { ValidationError } from '../../core/errors.js';
import { displayLocation } from '../open-store.js';

export const DEFAULT_SCHEMA = 'queuectl';

/** Connections per store: a worker needs one for claim/settle, heartbeats and the rescuer each. */
const POOL_SIZE = 4;

/** Plain lowercase identifiers only, short enough that `<schema>_changes` is a valid channel. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

export interface PostgresTarget {
  /** The URL without the password, for `status` and the log directory. */
  location: string;
  schema: string;
  /** The LISTEN/NOTIFY channel of this schema. */
  channel: string;
  clientConfig: pg.ClientConfig;
}

const BIGINT_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === BIGINT_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export function parsePostgresUrl(url: string): PostgresTarget {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new ValidationError(
      `schema "${schema}" in the database URL must be lowercase letters, digits and _ (at most 48)`,
    );
  }
  parsed.searchParams.delete('schema');
  const connectionString = parsed.toString();
  return {
    location: displayLocation(url),
    schema,
    channel: `${schema}_changes`,
    clientConfig: { connectionString, options: `-c search_path=${schema}`, types },
  };
}

export function createPool(target: PostgresTarget): pg.Pool {
  const pool = new pg.Pool({ ...target.clientConfig, max: POOL_SIZE, idleTimeoutMillis: 10_000 });
  // An idle connection that the server closes (restart, pg_terminate_backend) is reported here;
  // the pool drops it and opens a new one for the next query. Without a handler it would crash.
  pool.on('error', () => {});
  return pool;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
