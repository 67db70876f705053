/**
 * Bulk enqueue: `queuectl enqueue --file` with an N-line NDJSON file, whole CLI wall time, against
 * the raw better-sqlite3 insert rate of the same rows (one prepared statement, one transaction);
 * and the CLI's peak RSS with ten times as many lines against that with N (bounded memory means
 * the two stay close: per-line state would make the larger one grow tenfold).
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { fmt, nowMs, ratio } from '../lib/measure.mjs';
import { runCliWithPeakRss } from '../lib/processes.mjs';
import { openBenchStore, tempPlace } from '../lib/fixtures.mjs';

async function writeNdjson(path, count) {
  const out = createWriteStream(path);
  for (let i = 1; i <= count; i++) {
    if (!out.write(`{"command":"echo ${i}","priority":${i % 3}}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The database's own ceiling: the same rows through one prepared INSERT in one transaction. */
async function rawInsertRate(db, count) {
  const store = await openBenchStore(db);
  await store.close();
  const raw = new Database(db);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  const insert = raw.prepare(
    `INSERT INTO jobs (id, command, state, priority, max_retries, run_at, created_at, updated_at)
     VALUES (?, ?, 'pending', ?, 3, ?, ?, ?)`,
  );
  const started = nowMs();
  const now = Date.now();
  raw.transaction(() => {
    for (let i = 1; i <= count; i++) insert.run(`raw-${i}`, `echo ${i}`, i % 3, now, now, now);
  })();
  const seconds = (nowMs() - started) / 1000;
  raw.close();
  return count / seconds;
}

export async function measureBulkEnqueue({ quick, log }) {
  // Below ~50,000 lines V8's young generation is still growing, so a smaller quick run would
  // measure warm-up rather than whether memory grows with the input.
  const count = quick ? 50_000 : 100_000;
  const place = tempPlace('bulk');
  try {
    const big = join(place.dir, 'big.ndjson');
    const huge = join(place.dir, 'huge.ndjson');
    await writeNdjson(big, count);
    await writeNdjson(huge, count * 10);
    log(`bulk enqueue: ${count} lines via the CLI`);
    const cli = await runCliWithPeakRss(
      place.dir,
      ['enqueue', '--file', big, '--db', place.db],
      join(place.dir, 'rss-big'),
    );
    const store = await openBenchStore(place.db);
    const stored = (await store.jobCountByState()).pending;
    await store.close();
    if (stored !== count) throw new Error(`stored ${stored} jobs, expected ${count}`);
    log(`bulk enqueue: ${count * 10} lines via the CLI, for memory`);
    const hugeRun = await runCliWithPeakRss(
      place.dir,
      ['enqueue', '--file', huge, '--db', join(place.dir, 'huge.db')],
      join(place.dir, 'rss-huge'),
    );
    log('bulk enqueue: raw better-sqlite3 baseline');
    const raw = await rawInsertRate(join(place.dir, 'raw.db'), count);
    const rate = count / (cli.ms / 1000);
    return [
      {
        figure: `Bulk enqueue, ${count.toLocaleString('en-US')}-line NDJSON (CLI wall time)`,
        result: fmt(rate, 'jobs/s'),
        baseline: `${fmt(raw, 'rows/s')} (raw better-sqlite3 insert)`,
        ratio: ratio(rate, raw),
        target: '≥ 50,000 jobs/s',
        met: rate >= 50_000,
      },
      {
        figure: `Bulk enqueue peak RSS, ${(count * 10).toLocaleString('en-US')} lines`,
        result: fmt(hugeRun.peakRssKiB / 1024, 'MiB'),
        baseline: `${fmt(cli.peakRssKiB / 1024, 'MiB')} (${count.toLocaleString('en-US')} lines)`,
        ratio: ratio(hugeRun.peakRssKiB, cli.peakRssKiB),
        target: 'bounded: 10× the lines ≤ 1.5× the memory',
        met: hugeRun.peakRssKiB <= 1.5 * cli.peakRssKiB,
      },
    ];
  } finally {
    place.cleanup();
  }
}
