/** The body of an action, read from streams that end early or fail (as a cut connection does). */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HttpError, readEmptyBody } from '../../src/dashboard/http.js';

function body(chunks: string[], options: { complete: boolean; fail?: boolean }): IncomingMessage {
  const stream = new Readable({
    read() {
      for (const chunk of chunks) this.push(Buffer.from(chunk));
      if (options.fail) this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      else this.push(null);
    },
  });
  return Object.assign(stream, {
    headers: { 'content-type': 'application/json', 'content-length': '100' },
    complete: options.complete,
  }) as unknown as IncomingMessage;
}

describe('readEmptyBody', () => {
  it('takes a complete empty or {} body', async () => {
    await expect(readEmptyBody(body([], { complete: true }))).resolves.toBeUndefined();
    await expect(readEmptyBody(body(['{', '}'], { complete: true }))).resolves.toBeUndefined();
  });

  it('refuses a body that ended before its declared length (a client cut for slowness)', async () => {
    const read = readEmptyBody(body(['{}'], { complete: false }));
    await expect(read).rejects.toThrow(HttpError);
    await expect(read).rejects.toMatchObject({ status: 400, message: /cut short/ });
  });

  it('answers a connection that failed mid-body with 400, not as a bug of its own', async () => {
    const read = readEmptyBody(body(['{'], { complete: false, fail: true }));
    await expect(read).rejects.toMatchObject({ status: 400, message: /cut short/ });
  });
});
