/** The menu's worker actions: start workers in the foreground until Ctrl+C, and stop workers. */
import type { Queue } from '../../core/queue.js';
import { workerStart } from '../commands/worker-start.js';
import { wholeNumber } from '../option-parsers.js';
import { renderWorkerStop, workerStop } from '../commands/worker-stop.js';
import { print } from './print.js';
import { ask, CANCELLED, checkWith } from './prompts.js';
import type { Session } from './session.js';

const parseCount = wholeNumber('the count', 1, 256);
const parseConcurrency = wholeNumber('the number of jobs at once', 1, 256);

/** Asks for a whole number, Enter taking `fallback`; undefined when cancelled. */
async function askNumber(
  question: string,
  fallback: number,
  parse: (text: string) => number,
): Promise<number | undefined> {
  const answer = await ask(
    `${question} (Enter for ${fallback})`,
    checkWith((text) => text.trim() === '' || parse(text.trim())),
  );
  if (answer === CANCELLED) return undefined;
  return answer.trim() ? parse(answer.trim()) : fallback;
}

export async function startWorkers(queue: Queue, session: Session): Promise<void> {
  // Config worker-count and worker-concurrency (1 unless set).
  const settings = await session.work(queue.settings());
  const count = await askNumber('How many workers?', settings.workerCount, parseCount);
  if (count === undefined) return;
  const concurrency = await askNumber(
    'How many jobs at once in each?',
    settings.workerConcurrency,
    parseConcurrency,
  );
  if (concurrency === undefined) return;
  print('Workers run until Ctrl+C, which stops them gracefully and brings the menu back.');
  // Ctrl+C is the supervisor's here: not session.work, which would leave it running.
  await workerStart(session.db, { count, concurrency });
}

export async function stopWorkers(queue: Queue, session: Session): Promise<void> {
  print('Asking every worker on this database to stop (running jobs finish first)…');
  print(renderWorkerStop(await session.work(workerStop(queue, {}))));
}
