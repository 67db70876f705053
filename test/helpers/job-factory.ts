/** Builds NewJob records for store tests. */
import type { NewJob } from '../../src/core/job.js';

let counter = 0;

export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  counter++;
  return {
    id: `job-${counter}`,
    command: `echo ${counter}`,
    max_retries: 3,
    priority: 0,
    timeout_seconds: null,
    run_at: null,
    cwd: null,
    env: null,
    queue: 'default',
    unique_key: null,
    after: [],
    ...overrides,
  };
}
