/**
 * PostgreSQL for tests: QUEUECTL_TEST_PG names the database (CI sets it); without it the
 * PostgreSQL tests are skipped with a notice. Each caller gets a fresh schema, dropped after
 * the test file.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { quoteIdent } from '../../src/store/postgres/connection.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';

export const TEST_PG = process.env.QUEUECTL_TEST_PG || '';

const made: string[] = [];
afterAll(async () => {
  if (!TEST_PG || made.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_PG });
  await client.connect();
  try {
    for (const schema of made.splice(0))
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
});

/** A schema name nobody uses yet; it is dropped once the test file finishes. */
export function freshSchema(): string {
  const schema = `qt_${randomBytes(6).toString('hex')}`;
  made.push(schema);
  return schema;
}

/** The test database URL pointing at a fresh schema. */
export function freshPgUrl(): string {
  const url = new URL(TEST_PG);
  url.searchParams.set('schema', freshSchema());
  return url.toString();
}

/** describe() when QUEUECTL_TEST_PG is set; otherwise a visible skip that says how to run it. */
export function describePg(name: string, body: () => void): void {
  if (TEST_PG) {
    describe(name, body);
    return;
  }
  process.stderr.write(
    `\n[queuectl] skipping PostgreSQL tests (${name}): set QUEUECTL_TEST_PG=postgres://user@host:5432/db or run npm run test:pg\n`,
  );
  describe.skip(`${name} (skipped: QUEUECTL_TEST_PG is not set)`, body);
}

/** Runs SQL on the test database as an administrator (fault injection, checks). */
export async function adminQuery<T extends pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_PG });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Makes `schema` as an older release left it: the migrations up to `version` applied and
 * recorded, through `client` (whose search_path is then that schema). For migration tests.
 */
export async function schemaAtVersion(
  client: pg.Client,
  schema: string,
  version: number,
): Promise<void> {
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}; SET search_path = ${schema}`);
  await client.query(`CREATE TABLE migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    await client.query(migration.sql);
    await client.query('INSERT INTO migrations (version, name) VALUES ($1, $2)', [
      migration.version,
      migration.name,
    ]);
  }
}
