/**
 * Change notification for PostgreSQL: one dedicated connection LISTENs on the schema's channel
 * while anyone is subscribed. Writers send pg_notify in the same statement as their change, so a
 * wake-up arrives when the change commits. When the connection drops (server restart,
 * pg_terminate_backend) it reconnects with a growing delay and then calls every listener once,
 * since notifications sent while it was down are lost. The same call follows a LISTEN that
 * resumes after every subscriber had left (a busy worker stops listening for a while): the
 * first subscription of all is the only one not called until a change.
 */
import pg from 'pg';
import { quoteIdent } from './connection.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

export class ChangeListener {
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Set once a LISTEN has succeeded: a later one may have missed notifications. */
  private listenedBefore = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
  ) {}

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    if (this.listeners.size === 1) void this.connect(false);
    return () => {
      this.listeners.delete(onChange);
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  close(): void {
    this.listeners.clear();
    this.disconnect();
  }

  private notifyAll(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async connect(afterDrop: boolean): Promise<void> {
    const missed = afterDrop || this.listenedBefore;
    const client = new pg.Client(this.config);
    this.client = client;
    client.on('notification', () => this.notifyAll());
    client.on('error', () => this.dropped(client));
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch {
      this.dropped(client);
      return;
    }
    if (this.client !== client) return;
    this.retryMs = FIRST_RETRY_MS;
    this.listenedBefore = true;
    if (missed) this.notifyAll();
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => {});
    if (this.listeners.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.listeners.size > 0 && this.client === null) void this.connect(true);
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }

  private disconnect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    client?.end().catch(() => {});
  }
}
