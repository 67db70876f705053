/**
 * Entry point of one worker process, forked by the supervisor (`queuectl worker start`).
 * Arguments: [--drain] [--quiet] [--label NAME]; the database comes in QUEUECTL_WORKER_DB.
 * First SIGINT/SIGTERM: graceful stop. Second: stop at once. Losing the supervisor: graceful stop.
 */
import { openStore } from '../store/open-store.js';
import { logDirectory } from '../core/output-files.js';
import { takeWorkerDb, WORKER_DB_VARIABLE } from './worker-db.js';
import { Worker } from './worker.js';

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  const location = takeWorkerDb();
  if (!location) throw new Error(`worker-main needs ${WORKER_DB_VARIABLE} in its environment`);
  const label = argument('--label') ?? `pid ${process.pid}`;
  const quiet = process.argv.includes('--quiet');
  const log = (message: string) => {
    if (quiet) return;
    const time = new Date().toTimeString().slice(0, 8);
    process.stdout.write(`${time} [${label}] ${message}\n`);
  };
  const store = await openStore({ db: location, durable: false });
  const worker = new Worker({
    store,
    logDir: logDirectory(store.location),
    drain: process.argv.includes('--drain'),
    log,
  });

  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) worker.requestStop();
    else worker.stopNow();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('disconnect', () => worker.requestStop());

  await worker.run();
  await store.close();
  process.disconnect?.();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`queuectl worker: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
