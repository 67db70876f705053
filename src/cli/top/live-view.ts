/**
 * `queuectl top`'s loop: reads a snapshot when the store reports a change (store.subscribe,
 * debounced) and on a slow safety poll, redraws every second (run times, the clock) and on
 * resize, and ends on q, Ctrl+C or SIGTERM. The terminal is restored on every way out.
 */
import type { Queue } from '../../core/queue.js';
import { describeError } from '../errors.js';
import { renderTop } from './render.js';
import { takeSnapshot, type TopSnapshot } from './snapshot.js';
import { openScreen } from './terminal-screen.js';

export interface LiveViewOptions {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  /** Coalesces a burst of commits into one read. */
  debounceMs?: number;
  /** Reads again this often even without a change notification (they can be missed). */
  pollMs?: number;
}

/** q, Q, Ctrl+C (raw mode turns it into a byte), Ctrl+D. */
// eslint-disable-next-line no-control-regex
const QUIT_KEYS = /[qQ\u0003\u0004]/;

export async function runTop(queue: Queue, options: LiveViewOptions = {}): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  let snapshot: TopSnapshot | null = null;
  let readError: string | null = null;
  let failure: unknown = null;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const draw = () => {
    try {
      screen.draw(
        renderTop(snapshot, {
          columns: screen.columns,
          rows: screen.rows,
          now: Date.now(),
          location: queue.store.location,
          error: readError,
        }),
      );
    } catch (error) {
      failure ??= error;
      finish();
    }
  };
  const screen = openScreen(input, output, {
    onKeys: (keys) => QUIT_KEYS.test(keys) && finish(),
    onResize: draw,
  });

  let reading: Promise<void> | null = null;
  let readAgain = false;
  const read = (): void => {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = (async () => {
      do {
        readAgain = false;
        try {
          snapshot = await takeSnapshot(queue);
          readError = null;
        } catch (error) {
          readError = describeError(error);
        }
        draw();
      } while (readAgain);
    })().finally(() => (reading = null));
  };

  let debounce: NodeJS.Timeout | null = null;
  const debounceMs = options.debounceMs ?? 50;
  const onSignal = () => finish();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let unsubscribe = () => {};
  const timers: NodeJS.Timeout[] = [];
  try {
    unsubscribe = queue.store.subscribe(() => {
      debounce ??= setTimeout(() => {
        debounce = null;
        read();
      }, debounceMs);
    });
    timers.push(setInterval(draw, 1000), setInterval(read, options.pollMs ?? 10_000));
    draw();
    read();
    await finished;
  } finally {
    unsubscribe();
    for (const timer of timers) clearInterval(timer);
    if (debounce) clearTimeout(debounce);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    screen.close();
    // The caller may close the queue next: let a read in flight end first (briefly: an
    // unreachable server must not hold the user here).
    readAgain = false;
    await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
  if (failure) throw failure;
}
