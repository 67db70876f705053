/**
 * Where each spec of a batch came from ("line 12", "item 3"), kept compactly so that an error
 * found at the very end of a million-line enqueue (a duplicate id) can still name its line:
 * 4 bytes a spec instead of a string.
 */
const KINDS = ['line', 'item'] as const;
const CHUNK = 64 * 1024;

export class SpecPlaces {
  private readonly chunks: Int32Array[] = [];
  private size = 0;

  /** Records the place of the next spec: "line N" and "item N" are kept, anything else as unnamed. */
  push(where: string): void {
    const match = /^(line|item) (\d+)$/.exec(where);
    const code = match
      ? Number(match[2]) * 2 + KINDS.indexOf(match[1] as (typeof KINDS)[number])
      : -1;
    if (this.size % CHUNK === 0) this.chunks.push(new Int32Array(CHUNK));
    this.chunks[this.chunks.length - 1]![this.size % CHUNK] = code > 0x7fffffff ? -1 : code;
    this.size++;
  }

  /** "line 12" for the spec at `position`, or undefined when it had no line or item number. */
  at(position: number): string | undefined {
    if (position < 0 || position >= this.size) return undefined;
    const code = this.chunks[Math.floor(position / CHUNK)]![position % CHUNK]!;
    return code < 0 ? undefined : `${KINDS[code % 2]} ${Math.floor(code / 2)}`;
  }
}
