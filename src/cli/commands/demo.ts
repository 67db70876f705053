/**
 * `queuectl demo`: a tour in a few seconds. Enqueues jobs that succeed, one that fails once and
 * then succeeds, one that always fails (and ends in the dead letter queue), and slow ones; runs 3
 * workers until the queue is drained while showing progress; prints the status and the DLQ.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from '../../core/queue.js';
import { JOB_STATES } from '../../core/job.js';
import { displayLocation, openStore, resolveLocation } from '../../store/open-store.js';
import { startSupervisor } from '../../worker/supervisor.js';
import { renderStatus } from './status.js';
import { renderJobs } from './list.js';
import { ProgressLine } from '../progress-line.js';
import { selfCommand } from '../self-command.js';
import type { PlainCommand } from '../command-spec.js';

export const demoCommand: PlainCommand = { kind: 'plain', run: ({ opts }) => demo(opts.db) };

export async function demo(db: string | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'queuectl-demo-'));
  const location = db ? resolveLocation(db) : join(dir, 'demo.db');
  const say = (message: string) => process.stdout.write(`${message}\n`);
  const shown = displayLocation(location);
  const queue = new Queue(await openStore({ db: location }));
  try {
    say(`queuectl demo: database ${shown}\n`);
    const flag = join(dir, 'flaky-ran-once');
    const jobs = [
      { id: 'demo-hello', command: 'echo "hello from queuectl"' },
      { id: 'demo-urgent', command: 'echo "I jumped the queue"', priority: 10 },
      { id: 'demo-sum', command: 'expr 21 + 21' },
      { id: 'demo-slow-1', command: 'sleep 2 && echo "slow job done"' },
      { id: 'demo-slow-2', command: 'sleep 3 && echo "slower job done"' },
      {
        id: 'demo-flaky',
        command: `test -e '${flag}' || { touch '${flag}'; echo "first try fails" >&2; exit 1; }`,
        max_retries: 2,
      },
      { id: 'demo-broken', command: 'echo "this always fails" >&2; exit 3', max_retries: 1 },
      { id: 'demo-typo', command: 'no-such-command --version', max_retries: 0 },
    ];
    const { ids } = await queue.enqueueMany(jobs.map((value) => ({ value, where: 'job' })));
    say(`enqueued ${ids.length} jobs: ${ids.join(', ')}`);
    say('starting 3 workers until the queue is drained (failed jobs retry after 2s, 4s, …)\n');

    // Worker log lines go above one live progress line, never into it.
    const line = new ProgressLine(process.stderr);
    const supervisor = startSupervisor({
      db: location,
      count: 3,
      drain: true,
      onWorkerLine: line.live
        ? (text, stream) => line.log(text, stream === 'stdout' ? process.stdout : process.stderr)
        : undefined,
    });
    let last = '';
    const progress = setInterval(() => {
      void queue.status().then(({ counts }) => {
        const done = counts.completed + counts.dead;
        const text = `progress: ${done}/${ids.length} finished  (${JOB_STATES.map((s) => `${s} ${counts[s]}`).join(', ')})`;
        if (text === last) return;
        last = text;
        if (line.live) line.set(text);
        else process.stderr.write(`${text}\n`);
      });
    }, 250);
    const stop = () => supervisor.stop();
    process.on('SIGINT', stop);
    await supervisor.done;
    clearInterval(progress);
    process.off('SIGINT', stop);
    line.clear();

    say(`\n${renderStatus(await queue.status())}\n`);
    say(`dead letter queue:\n${renderJobs(await queue.list({ state: 'dead' }))}\n`);
    const self = `${selfCommand()} --db ${shown}`;
    say(`explore it:  ${self} list`);
    for (const rest of ['show demo-flaky', 'logs demo-hello', 'dlq retry demo-broken']) {
      say(`             ${self} ${rest}`);
    }
  } finally {
    await queue.close();
  }
}
