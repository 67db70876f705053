/**
 * Server-sent events: every connected page gets a fresh overview soon after any commit (the
 * store's change notification, debounced) and on a slow poll (heartbeat ages, missed wake-ups).
 * `changed` tells the page whether to reload its job table and open job as well.
 */
import type { ServerResponse } from 'node:http';
import type { Queue } from '../core/queue.js';
import { startEventStream } from './http.js';
import { overview } from './overview.js';

export interface LiveUpdateOptions {
  /** Coalesces bursts of commits into one push. */
  debounceMs?: number;
  pollMs?: number;
}

export class LiveUpdates {
  private readonly clients = new Set<ServerResponse>();
  private readonly unsubscribe: () => void;
  private readonly poll: NodeJS.Timeout;
  private pending: NodeJS.Timeout | null = null;
  private pushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly queue: Queue,
    private readonly onError: (error: unknown) => void,
    options: LiveUpdateOptions = {},
  ) {
    const debounceMs = options.debounceMs ?? 50;
    this.unsubscribe = queue.store.subscribe(() => {
      this.pending ??= setTimeout(() => {
        this.pending = null;
        this.push(true);
      }, debounceMs);
    });
    this.poll = setInterval(() => this.push(false), options.pollMs ?? 3000);
    this.poll.unref();
  }

  add(res: ServerResponse): void {
    startEventStream(res);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    void this.send([res], true);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.poll);
    if (this.pending) clearTimeout(this.pending);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private push(changed: boolean): void {
    if (this.closed || this.clients.size === 0) return;
    // One computation at a time; pushes queue behind it.
    this.pushing = this.pushing.then(() => this.send([...this.clients], changed));
  }

  private async send(targets: ServerResponse[], changed: boolean): Promise<void> {
    try {
      const data = JSON.stringify({ changed, overview: await overview(this.queue) });
      for (const res of targets) if (!res.writableEnded) res.write(`data: ${data}\n\n`);
    } catch (error) {
      if (!this.closed) this.onError(error);
    }
  }
}
