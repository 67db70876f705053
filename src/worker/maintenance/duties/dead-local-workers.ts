/**
 * Host duty (every worker): jobs held on this host by a worker process that is gone go back to
 * the queue at once (the pid is checked with its start time, so a reused pid does not pass for
 * the dead worker), and what is left of their runs is killed; rows of this host's dead workers
 * are removed. Only this host can tell, so every worker looks.
 */
import { holderDiedHere, workerDiedHere } from '../../../core/liveness.js';
import { isProcessAlive } from '../../process-info.js';
import { rescueAndForget, type Duty } from '../duty.js';

/** How often each worker looks. */
export const DEAD_LOCAL_WORKERS_EVERY_MS = 1000;

export const deadLocalWorkers: Duty = {
  name: 'dead local workers',
  scope: 'host',
  async run(context) {
    await rescueAndForget(context, {
      lost: (held) => holderDiedHere(held, context.host, isProcessAlive),
      gone: (worker) => workerDiedHere(worker, context.host, isProcessAlive),
    });
    return DEAD_LOCAL_WORKERS_EVERY_MS;
  },
};
