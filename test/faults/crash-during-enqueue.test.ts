/**
 * Scenario 4: `queuectl enqueue --file` is SIGKILLed at random moments. The database stays
 * intact, every batch is wholly present or wholly absent, and every enqueue that exited 0 is there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { collect, runCli, startCli } from '../helpers/run-cli.js';
import { readDb } from './helpers/database.js';
import { faultEnv, reapEnvironment } from './helpers/fault-env.js';
import { figure, ndjson, seconds } from './helpers/figures.js';

const KILLS = 200;
const PARALLEL = 4;
/** Large batches are staged in a temp table first; small ones are inserted directly. */
const SIZES = [2000, 400];
const env = faultEnv('enqueue-crash');

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

test(`${KILLS} enqueues SIGKILLed at random moments leave every batch whole or absent`, async () => {
  const sources = new Map(
    SIZES.map((size) => {
      const file = join(env.dir, 'work', `batch-${size}.ndjson`);
      // B- becomes b<run>- in each run, so each run's ids are its own.
      writeFileSync(
        file,
        ndjson(Array.from({ length: size }, (_, i) => ({ id: `B-${i}`, command: `echo ${i}` }))),
      );
      return [size, readFileSync(file, 'utf8')] as const;
    }),
  );
  expect((await runCli(env, ['config', 'set', 'max-retries', '2'])).code).toBe(0);

  const outcomes: { batch: number; size: number; code: number | null; killed: boolean }[] = [];
  let next = 0;
  /** One enqueue of a fresh batch, SIGKILLed after `killAfter` ms unless it exits first. */
  const enqueueOnce = async (killAfter: (size: number) => number | null) => {
    const batch = next++;
    const size = SIZES[batch % SIZES.length]!;
    const file = join(env.dir, 'work', `run-${batch}.ndjson`);
    writeFileSync(file, sources.get(size)!.replaceAll('"B-', `"b${batch}-`));
    const spawned = Date.now();
    const child = startCli(env, ['enqueue', '--file', file]);
    const delay = killAfter(size);
    const timer = delay === null ? undefined : setTimeout(() => child.kill('SIGKILL'), delay);
    const result = await collect(child);
    clearTimeout(timer);
    outcomes.push({ batch, size, code: result.code, killed: result.code === null });
    if (result.code !== null) expect(result.code, result.stderr).toBe(0);
    return { size, ms: Date.now() - spawned };
  };
  const inParallel = (work: () => Promise<void>) =>
    Promise.all(Array.from({ length: PARALLEL }, work));

  // Calibrate: how long an enqueue of each size takes under this same load, so that kills
  // land before, during and after the commit alike.
  const durations = new Map<number, number[]>(SIZES.map((size) => [size, []]));
  await inParallel(async () => {
    for (let i = 0; i < SIZES.length; i++) {
      const { size, ms } = await enqueueOnce(() => null);
      durations.get(size)!.push(ms);
    }
  });
  const typical = new Map(
    [...durations].map(([size, list]) => [size, list.sort((a, b) => a - b)[list.length >> 1]!]),
  );

  const started = Date.now();
  let kills = 0;
  await inParallel(async () => {
    while (kills < KILLS) {
      kills++;
      await enqueueOnce((size) => typical.get(size)! * (0.3 + Math.random()));
    }
  });
  const took = Date.now() - started;

  const { integrity, counts } = readDb(env.db, (db) => ({
    integrity: db.pragma('integrity_check', { simple: true }),
    counts: new Map(
      (
        db
          .prepare(
            "SELECT substr(id, 2, instr(id, '-') - 2) AS batch, COUNT(*) AS n FROM jobs GROUP BY batch",
          )
          .all() as { batch: string; n: number }[]
      ).map((row) => [Number(row.batch), row.n]),
    ),
  }));
  expect(integrity).toBe('ok');
  const partial = outcomes.filter((o) => ![0, o.size].includes(counts.get(o.batch) ?? 0));
  const ackedMissing = outcomes.filter((o) => o.code === 0 && counts.get(o.batch) !== o.size);
  const killed = outcomes.filter((o) => o.killed);
  const killedPresent = killed.filter((o) => counts.get(o.batch) === o.size).length;
  figure(
    `crash during enqueue: ${outcomes.length} runs (batches of ${SIZES.join(' and ')}, typical ${[...typical.values()].map(seconds).join(' and ')}), ${killed.length} SIGKILLed ` +
      `(${killedPresent} had committed, ${killed.length - killedPresent} absent), ${outcomes.length - killed.length} exited 0, ` +
      `${partial.length} partial batches, ${ackedMissing.length} acknowledged batches missing, integrity ${integrity}, ${seconds(took)}`,
  );
  expect(partial).toEqual([]);
  expect(ackedMissing).toEqual([]);
  expect(killed.length).toBeGreaterThanOrEqual(KILLS / 4);
});
