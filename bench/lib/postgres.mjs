/** PostgreSQL for the benchmark: the URL from the environment, throw-away schemas. */
import { randomBytes } from 'node:crypto';
import { URL } from 'node:url';
import pg from 'pg';

/** The database to measure on (QUEUECTL_BENCH_PG or QUEUECTL_TEST_PG), or undefined. */
export function benchPostgresUrl() {
  return process.env.QUEUECTL_BENCH_PG || process.env.QUEUECTL_TEST_PG || undefined;
}

/** The same database, in a fresh schema of its own: `url`, and `drop()` to remove it. */
export function freshSchema(url, name = 'bench') {
  const schema = `${name}_${randomBytes(4).toString('hex')}`;
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return {
    schema,
    url: parsed.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
