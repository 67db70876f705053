/**
 * "Runnable" on PostgreSQL, the one definition this store has, as SQL fragments over a job
 * alias and a queue alias. The claim (the function claim_job, made by migration 3 from these),
 * the next wake-up, the drain check, the counts and the queue lag all use them:
 * - ready (the job): waiting (pending, or failed until its retry) with every dependency
 *   completed; exactly the jobs of the indexes jobs_ready and jobs_due, per queue.
 * - due (the job): its run_at has come.
 * - open (its queue): not paused, and fewer of its jobs processing than its limit.
 * A job is runnable when it is ready and due in an open queue. `served` narrows the queues to
 * those a worker was started for (a text[] parameter, or null for all).
 *
 * The functions of migration 3 were made from these fragments as they were then: a change here
 * needs a migration that replaces those functions.
 */
export const ready = (j: string) => `${j}.state IN ('pending', 'failed') AND ${j}.waiting_on = 0`;
export const due = (j: string, now: string) => `${j}.run_at <= ${now}`;
/** Jobs of queue `q` processing now (jobs_running: as many as run, never every job). */
export const runningIn = (q: string) =>
  `(SELECT count(*) FROM jobs r WHERE r.queue = ${q}.name AND r.state = 'processing')`;
export const open = (q: string) =>
  `NOT ${q}.paused AND (${q}.concurrency IS NULL OR ${q}.concurrency > ${runningIn(q)})`;
export const served = (q: string, param: string) =>
  `(${param}::text[] IS NULL OR ${q}.name = ANY(${param}::text[]))`;
/** Waiting for dependencies (jobs_blocked). */
export const blocked = (j: string) => `${j}.state IN ('pending', 'failed') AND ${j}.waiting_on > 0`;
/** A unique key is held while its job waits or runs. */
export const LIVE = `state IN ('pending', 'failed', 'processing')`;
