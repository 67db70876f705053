/**
 * `queuectl dlq retry` with many ids is all or nothing: SIGKILLed at random moments, it leaves
 * either every named job moved back to pending or none of them; and a bad id among good ones
 * changes nothing.
 */
import Database from 'better-sqlite3';
import { afterAll, expect, test } from 'vitest';
import { collect, runCli, startCli } from '../helpers/run-cli.js';
import { readDb } from './helpers/database.js';
import { faultEnv, reapEnvironment } from './helpers/fault-env.js';
import { figure, ndjson, seconds } from './helpers/figures.js';

const JOBS = 600;
const KILLS = 40;
const env = faultEnv('retry-crash');
const ids = Array.from({ length: JOBS }, (_, i) => `dead-${i}`);

afterAll(async () => {
  expect(await reapEnvironment(env)).toEqual([]);
});

function stateCounts(): Record<string, number> {
  return readDb(env.db, (db) =>
    Object.fromEntries(
      (
        db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as {
          state: string;
          n: number;
        }[]
      ).map((row) => [row.state, row.n]),
    ),
  );
}

/** Puts every job back in the dead letter queue, as a test fixture would (outside the CLI). */
function makeAllDead(): void {
  const db = new Database(env.db);
  try {
    db.pragma('busy_timeout = 60000');
    db.prepare("UPDATE jobs SET state = 'dead', attempts = 1 WHERE state <> 'dead'").run();
  } finally {
    db.close();
  }
}

test(`dlq retry of ${JOBS} ids SIGKILLed ${KILLS} times moves all of them or none`, async () => {
  const specs = ids.map((id) => ({ id, command: 'exit 1', max_retries: 0 }));
  expect((await runCli(env, ['enqueue', '--file', '-'], ndjson(specs))).code).toBe(0);
  const drained = await runCli(env, ['worker', 'start', '--count', '2', '--drain', '--quiet']);
  expect(drained.code, drained.stderr).toBe(0);
  expect(stateCounts()).toEqual({ dead: JOBS });

  // A bad id anywhere in the list: exit 2, the id named, nothing moved.
  for (const bad of ['nosuch', 'bad/id']) {
    const list = [...ids.slice(0, 300), bad, ...ids.slice(300)];
    const refused = await runCli(env, ['dlq', 'retry', ...list]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^queuectl: .*(nosuch|bad\/id).*\n$/);
    expect(stateCounts()).toEqual({ dead: JOBS });
  }

  const retryOnce = async (killAfter: number | null) => {
    const started = Date.now();
    const child = startCli(env, ['dlq', 'retry', ...ids]);
    const timer =
      killAfter === null ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfter);
    const result = await collect(child);
    clearTimeout(timer);
    return { code: result.code, stderr: result.stderr, ms: Date.now() - started };
  };

  // Calibrate under the same conditions so kills land before, during and after the commit.
  const calibration: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { code, stderr, ms } = await retryOnce(null);
    expect(code, stderr).toBe(0);
    expect(stateCounts()).toEqual({ pending: JOBS });
    calibration.push(ms);
    makeAllDead();
  }
  const typical = calibration.sort((a, b) => a - b)[1]!;

  let killedBefore = 0;
  let killedAfter = 0;
  let finished = 0;
  const started = Date.now();
  for (let i = 0; i < KILLS; i++) {
    const { code, stderr } = await retryOnce(typical * (0.3 + Math.random()));
    const counts = stateCounts();
    expect([{ dead: JOBS }, { pending: JOBS }]).toContainEqual(counts);
    if (code !== null) {
      expect(code, stderr).toBe(0);
      expect(counts).toEqual({ pending: JOBS });
      finished++;
    } else if (counts.pending) killedAfter++;
    else killedBefore++;
    if (counts.pending) makeAllDead();
  }
  figure(
    `crash during dlq retry: ${KILLS} retries of ${JOBS} ids (typical ${seconds(typical)}), ` +
      `${killedBefore + killedAfter} SIGKILLed (${killedAfter} had committed all, ${killedBefore} none), ` +
      `${finished} exited 0, 0 partly moved, ${seconds(Date.now() - started)}`,
  );
  expect(killedBefore + killedAfter).toBeGreaterThanOrEqual(KILLS / 4);
});
