/** The menu's worker actions: start workers in the foreground until Ctrl+C, and stop workers. */
import type { Queue } from '../../core/queue.js';
import { parseCount, workerStart } from '../commands/worker-start.js';
import { renderWorkerStop, workerStop } from '../commands/worker-stop.js';
import { print } from './print.js';
import { ask, CANCELLED, checkWith } from './prompts.js';
import type { Session } from './session.js';

/** The `worker-count` setting where this version has it and it holds a good value, else 1. */
async function defaultCount(queue: Queue, session: Session): Promise<number> {
  const entries = await session.work(queue.configList());
  const stored = entries.find((entry) => (entry.key as string) === 'worker-count')?.value;
  try {
    return parseCount(stored ?? '1');
  } catch {
    return 1;
  }
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
  await workerStart(session.db, { count: count.trim() || String(fallback) });
}

export async function stopWorkers(queue: Queue, session: Session): Promise<void> {
  print('Asking every worker on this database to stop (running jobs finish first)…');
  print(renderWorkerStop(await session.work(workerStop(queue, {}))));
}
