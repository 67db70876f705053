/**
 * Scenario 2: worker processes are SIGKILLed at random every second while jobs flow; the
 * supervisor replaces them. Nothing is lost, every job completes, every duplicate run is traceable
 * to a killed attempt, and a killed worker's jobs run again within seconds. Twice: four workers
 * running one job each, and two workers running four each (`--concurrency 4`), where every kill
 * takes up to four runs with it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { waitFor } from '../helpers/wait-for.js';
import { allAttempts, stateCounts } from './helpers/database.js';
import { faultEnv, reapEnvironment, startWorkers } from './helpers/fault-env.js';
import { figure, ndjson, runsPerJob, seconds } from './helpers/figures.js';
import { liveWorkerPids } from './helpers/worker-pids.js';

const LONG_JOBS = 20;
const MAX_RERUN_MS = 5000;

interface Chaos {
  name: string;
  workers: number;
  concurrency: number;
  shortJobs: number;
  chaosMs: number;
}

const SCENARIOS: Chaos[] = [
  { name: 'chaos', workers: 4, concurrency: 1, shortJobs: 1400, chaosMs: 40_000 },
  { name: 'chaos-slots', workers: 2, concurrency: 4, shortJobs: 1200, chaosMs: 20_000 },
];

for (const scenario of SCENARIOS) {
  const { workers: WORKERS, concurrency, shortJobs: SHORT_JOBS, chaosMs: CHAOS_MS } = scenario;
  const env = faultEnv(scenario.name);

  afterAll(async () => {
    expect(await reapEnvironment(env)).toEqual([]);
  });

  test(`SIGKILLing workers every second (${WORKERS} workers × ${concurrency} jobs at once) loses no job and reruns a killed job within 5 s`, async () => {
    const out = join(env.dir, 'work', 'ran.txt');
    writeFileSync(out, '');
    const specs: { id: string; command: string }[] = [];
    for (let i = 0; i < SHORT_JOBS; i++) {
      specs.push({ id: `s-${i}`, command: `sleep 0.02; echo "$QUEUECTL_JOB_ID" >> '${out}'` });
      if (i % (SHORT_JOBS / LONG_JOBS) === 0) {
        specs.push({ id: `l-${i}`, command: `sleep 5; echo "$QUEUECTL_JOB_ID" >> '${out}'` });
      }
    }
    const file = join(env.dir, 'work', 'jobs.ndjson');
    // Plenty of retries: a job may lose several workers in a row, and must still complete.
    writeFileSync(file, ndjson(specs.map((spec) => ({ ...spec, max_retries: 50 }))));
    expect((await runCli(env, ['enqueue', '--file', file])).code).toBe(0);

    const workers = startWorkers(env, WORKERS, undefined, ['--concurrency', String(concurrency)]);
    const supervisorPid = workers.child.pid!;
    const killedAt = new Map<number, number>();
    const started = Date.now();
    try {
      while (Date.now() - started < CHAOS_MS) {
        const tick = Date.now();
        const pids = await liveWorkerPids(env, supervisorPid);
        const victim = pids[Math.floor(Math.random() * pids.length)];
        if (victim !== undefined) {
          killedAt.set(victim, Date.now());
          process.kill(victim, 'SIGKILL');
        }
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, 1000 - (Date.now() - tick))),
        );
      }
      await waitFor(() => (stateCounts(env.db).completed ?? 0) === specs.length, {
        timeoutMs: 150_000,
        intervalMs: 500,
        what: `all ${specs.length} jobs to complete`,
      });
    } finally {
      await workers.stop();
    }
    const took = Date.now() - started;

    const lines = runsPerJob(out);
    const attempts = allAttempts(env.db);
    let duplicates = 0;
    let lost = 0;
    const rerunDelays: number[] = [];
    const untraceable: string[] = [];
    for (const spec of specs) {
      const runs = attempts.get(spec.id) ?? [];
      const ran = lines.get(spec.id) ?? 0;
      if (ran === 0) lost++;
      duplicates += Math.max(0, ran - 1);
      expect(
        runs.filter((a) => a.outcome === 'completed'),
        spec.id,
      ).toHaveLength(1);
      expect(runs[runs.length - 1]!.outcome, spec.id).toBe('completed');
      const lostRuns = runs.filter((a) => a.outcome === 'worker_lost');
      // Every extra run of the command follows a run whose worker was killed.
      if (ran - 1 > lostRuns.length) untraceable.push(spec.id);
      runs.forEach((run, index) => {
        if (run.outcome !== 'worker_lost') {
          expect(run.outcome, `${spec.id} run ${run.attempt}`).toBe('completed');
          return;
        }
        const kill = killedAt.get(run.pid);
        if (kill === undefined) {
          untraceable.push(`${spec.id} run ${run.attempt}`);
          return;
        }
        rerunDelays.push(runs[index + 1]!.started_at - kill);
      });
    }
    rerunDelays.sort((a, b) => a - b);
    const worst = rerunDelays[rerunDelays.length - 1] ?? 0;
    const median = rerunDelays[Math.floor(rerunDelays.length / 2)] ?? 0;
    figure(
      `kill chaos: ${specs.length} jobs (${LONG_JOBS} of 5 s), ${WORKERS} workers × ${concurrency} slots, ${killedAt.size} SIGKILLs in ${seconds(CHAOS_MS)}, ` +
        `${rerunDelays.length} runs lost and rerun, ${duplicates} duplicate runs (all traceable: ${untraceable.length === 0}), ` +
        `${lost} lost, kill-to-rerun median ${seconds(median)} max ${seconds(worst)}, ${seconds(took)} in all`,
    );
    expect(lost).toBe(0);
    expect(untraceable).toEqual([]);
    expect(stateCounts(env.db)).toEqual({ completed: specs.length });
    expect(killedAt.size).toBeGreaterThanOrEqual(CHAOS_MS / 1000 / 2);
    expect(worst).toBeLessThan(MAX_RERUN_MS);
  });
}
