/**
 * Random bytes without loading node:crypto, whose import costs ~4 ms of every
 * `queuectl enqueue` (a sixth of what it adds to Node's own start-up): they come from the
 * kernel's /dev/urandom, the source node:crypto draws on too. Where that cannot be read,
 * node:crypto.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

export function randomBytes(size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    for (let filled = 0; filled < size;) {
      const read = readSync(fd, buffer, filled, size - filled, null);
      if (read === 0) throw new Error('/dev/urandom ended');
      filled += read;
    }
    return buffer;
  } catch {
    const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
    return crypto.randomBytes(size);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
