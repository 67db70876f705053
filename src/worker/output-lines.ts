/**
 * Splits what a job writes into lines as it comes (`worker start -v`), per stream, holding an
 * unfinished line (and an incomplete UTF-8 sequence) until the rest arrives or the run ends.
 */
import { StringDecoder } from 'node:string_decoder';

export type OutputStream = 'stdout' | 'stderr';

/** Longest line passed on whole; longer ones are passed on in pieces of this size. */
const MAX_LINE = 16 * 1024;

export class OutputLines {
  private readonly decoders = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  private readonly partial = { stdout: '', stderr: '' };

  constructor(private readonly onLine: (stream: OutputStream, line: string) => void) {}

  feed(stream: OutputStream, bytes: Buffer): void {
    if (bytes.length === 0) return;
    const lines = (this.partial[stream] + this.decoders[stream].write(bytes)).split('\n');
    let rest = lines.pop()!;
    for (const line of lines) this.onLine(stream, line);
    while (rest.length > MAX_LINE) {
      this.onLine(stream, rest.slice(0, MAX_LINE));
      rest = rest.slice(MAX_LINE);
    }
    this.partial[stream] = rest;
  }

  /** The run ended: pass on what is left of each stream. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.partial[stream] + this.decoders[stream].end();
      this.partial[stream] = '';
      if (rest) this.onLine(stream, rest);
    }
  }
}
