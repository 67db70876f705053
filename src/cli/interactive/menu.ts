/**
 * The interactive menu (`queuectl` on a terminal, or -i): the numbered options of reference
 * document 003, plus t for the live view. An option is picked by typing its key and Enter (arrow
 * keys work too). Ctrl+C or Ctrl+D in a question goes back to the menu; in the menu, it exits.
 */
import type { Queue } from '../../core/queue.js';
import { withQueue } from '../context.js';
import { describeError, EXIT } from '../errors.js';
import { paint } from '../output.js';
import { runTop } from '../top/live-view.js';
import { setConfig, showConfig } from './config-actions.js';
import {
  enqueueJob,
  listJobs,
  retryFromDeadLetterQueue,
  showDeadLetterQueue,
  showStatus,
} from './job-actions.js';
import { print } from './print.js';
import { CANCELLED, choose, pause } from './prompts.js';
import { Interrupted, Session } from './session.js';
import { startWorkers, stopWorkers } from './worker-actions.js';

interface MenuOption {
  key: string;
  name: string;
  /** CANCELLED when the user left one of its questions with Ctrl+C or Ctrl+D. */
  run: (queue: Queue, session: Session) => Promise<typeof CANCELLED | void>;
  /** Wait for Enter afterwards, so that what it printed can be read before the menu returns. */
  pause?: boolean;
}

const EXIT_KEY = '0';

const OPTIONS: MenuOption[] = [
  { key: '1', name: 'Show queue status', run: showStatus, pause: true },
  { key: '2', name: 'List jobs', run: listJobs, pause: true },
  { key: '3', name: 'Enqueue a new job', run: enqueueJob },
  { key: '4', name: 'Start workers (until Ctrl+C)', run: startWorkers },
  { key: '5', name: 'Stop workers', run: stopWorkers },
  { key: '6', name: 'View the dead letter queue', run: showDeadLetterQueue, pause: true },
  { key: '7', name: 'Retry a job from the DLQ', run: retryFromDeadLetterQueue },
  { key: '8', name: 'View configuration', run: showConfig, pause: true },
  { key: '9', name: 'Set configuration', run: setConfig },
  { key: 't', name: 'Live view (top; q returns)', run: (queue) => runTop(queue) },
  { key: EXIT_KEY, name: 'Exit', run: async () => {} },
];

export async function runMenu(db: string | undefined): Promise<number> {
  return withQueue({ db }, async (queue) => {
    const session = new Session(db);
    try {
      print(`${paint('queuectl', 'bold')} interactive menu on ${queue.store.location}`);
      while (!session.ending) {
        const picked = await choose(
          'Choose an action (number, then Enter)',
          OPTIONS.map((option) => ({ key: option.key, name: option.name, value: option })),
        );
        if (picked === CANCELLED || picked.key === EXIT_KEY) break;
        try {
          const outcome = await picked.run(queue, session);
          if (picked.pause && outcome !== CANCELLED && !session.ending) await pause();
        } catch (error) {
          if (error instanceof Interrupted) print('interrupted');
          else process.stderr.write(`queuectl: ${describeError(error)}\n`);
        }
      }
      return EXIT.ok;
    } finally {
      session.close();
    }
  });
}
