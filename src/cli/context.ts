/** Opens the queue a command works on, from --db / QUEUECTL_DB, and closes it afterwards. */
import { Queue } from '../core/queue.js';
import { openStore } from '../store/open-store.js';

export interface GlobalOptions {
  db?: string;
}

export async function withQueue<T>(
  options: GlobalOptions,
  work: (queue: Queue) => Promise<T>,
): Promise<T> {
  const queue = new Queue(await openStore({ db: options.db, durable: true }));
  try {
    return await work(queue);
  } finally {
    await queue.close();
  }
}
