/** The menu's worker actions: start workers in the foreground until Ctrl+C, and stop workers. */
import type { Queue } from '../../core/queue.js';
import { workerStart } from '../commands/worker-start.js';
import { wholeNumber } from '../option-parsers.js';
import { renderWorkerStop, workerStop } from '../commands/worker-stop.js';
import { print } from './print.js';
import { ask, CANCELLED, checkWith } from './prompts.js';
import type { Session } from './session.js';

const parseCount = wholeNumber('the count', 1, 256);

/** Config worker-count (1 unless set). */
async function defaultCount(queue: Queue, session: Session): Promise<number> {
  return (await session.work(queue.settings())).workerCount;
}

export async function startWorkers(queue: Queue, session: Session): Promise<void> {
  const fallback = await defaultCount(queue, session);
  const count = await ask(
    `How many workers? (Enter for ${fallback})`,
    checkWith((text) => text.trim() === '' || parseCount(text.trim())),
  );
  if (count === CANCELLED) return;
  print('Workers run until Ctrl+C, which stops them gracefully and brings the menu back.');
  // Ctrl+C is the supervisor's here: not session.work, which would leave it running.
  await workerStart(session.db, { count: count.trim() ? parseCount(count.trim()) : fallback });
}

export async function stopWorkers(queue: Queue, session: Session): Promise<void> {
  print('Asking every worker on this database to stop (running jobs finish first)…');
  print(renderWorkerStop(await session.work(workerStop(queue, {}))));
}
