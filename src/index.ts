/** The programmatic API of queuectl: the same functions the CLI calls. */
export {
  Queue,
  checkState,
  type ConfigEntry,
  type EnqueueResult,
  type QueueStatus,
  type RecordedContext,
  type RemovedJobs,
  type ShownJob,
} from './core/queue.js';
export { waitForJobs, waitForQueuesIdle, type WaitOptions, type WaitResult } from './core/wait.js';
export {
  openStore,
  resolveLocation,
  dataDirectory,
  type OpenStoreOptions,
} from './store/open-store.js';
export type * from './store/job-store.js';
export * from './core/job.js';
export * from './core/errors.js';
export { systemClock, ManualClock, type Clock } from './core/clock.js';
export {
  backoffSeconds,
  decideRetry,
  type BackoffPolicy,
  type RetryDecision,
} from './core/backoff.js';
export { CONFIG_KEYS, resolveSettings, type Settings, type ConfigKey } from './core/config.js';
export { parseJobSpec, generateJobId } from './core/job-spec.js';
export { dependentsAfter, dependencyError } from './core/transitions.js';
export { specsFromStream, specsFromArgument, type SpecSource } from './core/job-input.js';
export { Worker, type WorkerOptions } from './worker/worker.js';
export { startSupervisor, type Supervisor, type SupervisorOptions } from './worker/supervisor.js';
export { logDirectory } from './core/output-files.js';

import { Queue } from './core/queue.js';
import { openStore, type OpenStoreOptions } from './store/open-store.js';

/** Opens a queue on a SQLite file or PostgreSQL URL (see OpenStoreOptions). */
export async function openQueue(options: OpenStoreOptions = {}): Promise<Queue> {
  return new Queue(await openStore(options), options.clock);
}
