/**
 * The menu's job actions: status, list, enqueue, the dead letter queue and retrying from it.
 * Data comes through the Queue and is shown with the command modules' renderers.
 */
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { JOB_STATES } from '../../core/job.js';
import { parseJobSpec } from '../../core/job-spec.js';
import type { Queue } from '../../core/queue.js';
import { renderRetried } from '../commands/dlq.js';
import { renderEnqueue } from '../commands/enqueue.js';
import { renderJobs } from '../commands/list.js';
import { renderStatus } from '../commands/status.js';
import { pageSize, print } from './print.js';
import { ask, CANCELLED, checkWith, choose } from './prompts.js';
import type { Session } from './session.js';

export async function showStatus(queue: Queue, session: Session): Promise<void> {
  print(renderStatus(await session.work(queue.status())));
}

export async function listJobs(queue: Queue, session: Session): Promise<typeof CANCELLED | void> {
  const state = await choose('Which jobs?', [
    { key: '1', name: 'all', value: undefined as string | undefined },
    ...JOB_STATES.map((name, i) => ({
      key: String(i + 2),
      name,
      value: name as string | undefined,
    })),
  ]);
  if (state === CANCELLED) return CANCELLED;
  const limit = pageSize();
  print(renderJobs(await session.work(queue.list({ state, limit })), limit));
}

/** Checks one field as enqueue would: the same rules and messages as a JSON spec. */
const checkSpec = (spec: Record<string, unknown>) =>
  parseJobSpec({ command: 'true', ...spec }, { maxRetries: 0, now: 0 });

export async function enqueueJob(queue: Queue, session: Session): Promise<void> {
  const id = await ask(
    'Job id (Enter for a generated one)',
    checkWith(async (text) => {
      if (text.trim() === '') return;
      checkSpec({ id: text.trim() });
      try {
        await queue.get(text.trim());
      } catch (error) {
        if (error instanceof NotFoundError) return;
        throw error;
      }
      throw new ConflictError(
        `a job with id "${text.trim()}" already exists; choose another id or press Enter for a generated one`,
      );
    }),
  );
  if (id === CANCELLED) return;
  const command = await ask(
    'Command',
    checkWith((text) => checkSpec({ command: text })),
  );
  if (command === CANCELLED) return;
  const { maxRetries } = await session.work(queue.settings());
  const retries = await ask(
    `Max retries (Enter for the default, ${maxRetries})`,
    checkWith((text) => text.trim() === '' || checkSpec({ max_retries: wholeNumber(text) })),
  );
  if (retries === CANCELLED) return;
  const spec: Record<string, unknown> = { command };
  if (id.trim() !== '') spec.id = id.trim();
  if (retries.trim() !== '') spec.max_retries = wholeNumber(retries);
  const job = await session.work(queue.enqueue(spec));
  print(renderEnqueue({ count: 1, ids: [job.id], skipped: 0, skippedJobs: [], job }));
}

/** Typed digits as a number (so the spec's range check applies); anything else stays text. */
function wholeNumber(text: string): number | string {
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}

export async function showDeadLetterQueue(queue: Queue, session: Session): Promise<void> {
  const limit = pageSize();
  const dead = await session.work(queue.list({ state: 'dead', limit }));
  print(dead.length ? renderJobs(dead, limit) : 'the dead letter queue is empty');
}

export async function retryFromDeadLetterQueue(queue: Queue, session: Session): Promise<void> {
  const limit = pageSize();
  const dead = await session.work(queue.list({ state: 'dead', limit }));
  if (dead.length === 0) {
    print('the dead letter queue is empty: nothing to retry');
    return;
  }
  print(renderJobs(dead, limit));
  const id = await ask(
    'Id of the job to retry',
    checkWith(async (text) => {
      const job = await queue.get(text.trim());
      if (job.state !== 'dead') {
        throw new ConflictError(
          `job "${job.id}" is ${job.state}, not dead: only dead jobs are retried`,
        );
      }
    }),
  );
  if (id === CANCELLED) return;
  print(renderRetried(await session.work(queue.retryDeadMany([id.trim()]))));
}
