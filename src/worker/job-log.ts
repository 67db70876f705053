/**
 * Where a job's output lives and how it is capped. Each run's stdout and stderr go to their own
 * file, written as they arrive (never buffered whole); past the limit the rest is dropped and
 * counted, and a note at the end says how much.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { dataDirectory, isPostgresUrl } from '../store/open-store.js';

export type StreamName = 'stdout' | 'stderr';

/** The directory holding captured output for a store location. */
export function logDirectory(location: string): string {
  if (isPostgresUrl(location)) {
    const digest = createHash('sha256').update(location).digest('hex').slice(0, 16);
    return join(dataDirectory(), 'logs', digest);
  }
  return `${location}.logs`;
}

export function logPath(
  logDir: string,
  jobId: string,
  attempt: number,
  stream: StreamName,
): string {
  return join(logDir, jobId, `${attempt}.${stream}`);
}

export function truncationNote(dropped: number, limit: number): string {
  return `\n[queuectl: ${dropped} more bytes were dropped; output-limit is ${limit} bytes]\n`;
}

/** Received bytes between two prompt collections of dead chunks. */
const RECLAIM_EVERY = 8 * 1024 * 1024;
let receivedSinceReclaim = 0;

/**
 * Each chunk read from a job's pipe is a fresh buffer that V8 frees only at its next collection,
 * which it may put off for tens of MiB. Where gc is exposed (worker processes run with
 * --expose-gc), a cheap young-generation collection every 8 MiB keeps a worker's memory flat
 * however much a job writes.
 */
function reclaimChunks(bytes: number): void {
  receivedSinceReclaim += bytes;
  if (receivedSinceReclaim < RECLAIM_EVERY) return;
  receivedSinceReclaim = 0;
  (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}

/** Captures one stream of one run. The file is created only when the first byte arrives. */
export class StreamCapture {
  private fd: number | null = null;
  private kept = 0;
  private dropped = 0;
  private tail = '';

  constructor(
    private readonly path: string,
    private readonly limit: number,
    private readonly tailSize = 0,
  ) {}

  write(chunk: Buffer): void {
    reclaimChunks(chunk.length);
    if (this.tailSize) this.tail = (this.tail + chunk.toString('utf8')).slice(-this.tailSize);
    const room = this.limit - this.kept;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.dropped += chunk.length - piece.length;
    this.fd ??= this.open();
    writeSync(this.fd, piece);
    this.kept += piece.length;
  }

  /** The last `tailSize` characters written (kept even past the limit), for error messages. */
  lastText(): string {
    return this.tail;
  }

  close(): { kept: number; dropped: number } {
    if (this.dropped > 0 && this.fd !== null) {
      writeSync(this.fd, truncationNote(this.dropped, this.limit));
    }
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    return { kept: this.kept, dropped: this.dropped };
  }

  private open(): number {
    mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
    return openSync(this.path, 'w', 0o600);
  }
}
