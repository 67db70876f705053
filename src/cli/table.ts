/**
 * Aligned tables that fit the terminal. On a terminal, columns marked `shrink` (free text such
 * as a command or an error) are cut with `…` so that a row never wraps; piped output is never
 * cut, so scripts see every character. Widths are display widths: East Asian wide characters
 * take two cells, combining marks none (get-east-asian-width, ~3 ms to load, against ~40 ms for
 * string-width and its emoji tables).
 */
import { eastAsianWidth } from 'get-east-asian-width';
import { paint } from './output.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf}|\u200b|[\ufe00-\ufe0f])$/u;

/** How many terminal cells a text takes (colour codes take none). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text.replace(ANSI, '')) {
    if (ZERO_WIDTH.test(char)) continue;
    width += eastAsianWidth(char.codePointAt(0)!);
  }
  return width;
}

/** The longest start of `text` that fits `width` cells, ending in `…` when cut. */
export function cutToWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const char of text.replace(ANSI, '')) {
    const w = ZERO_WIDTH.test(char) ? 0 : eastAsianWidth(char.codePointAt(0)!);
    if (used + w > width - 1) break;
    out += char;
    used += w;
  }
  return `${out}…`;
}

/** The terminal's width when stdout is one, else null (piped: nothing is cut). */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number | null {
  return stream.isTTY && stream.columns > 0 ? stream.columns : null;
}

export interface TableOptions {
  /** Columns (by index) that may be cut to fit; the widest is cut first. */
  shrink?: number[];
  /** Width to fit; default: the terminal's, or none when piped. */
  width?: number | null;
}

/** Narrowest a shrinkable column is cut to before the row is allowed to wrap after all. */
const MIN_SHRUNK = 8;
const GAP = 2;

/** Renders rows as an aligned table; the last column is not padded. */
export function table(headers: string[], rows: string[][], options: TableOptions = {}): string {
  const widths = headers.map((header, i) =>
    Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[i] ?? ''))),
  );
  const fit = options.width === undefined ? terminalWidth() : options.width;
  const shrink = options.shrink ?? [];
  if (fit !== null && shrink.length > 0) {
    let excess = widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1) - fit;
    while (excess > 0) {
      const widest = shrink
        .filter((i) => widths[i]! > Math.max(MIN_SHRUNK, displayWidth(headers[i]!)))
        .sort((a, b) => widths[b]! - widths[a]!)[0];
      if (widest === undefined) break;
      widths[widest]!--;
      excess--;
    }
  }
  const line = (cells: string[]) =>
    cells
      .map((raw, i) => {
        const cell = shrink.includes(i) ? cutToWidth(raw, widths[i]!) : raw;
        return i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - displayWidth(cell));
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [paint(line(headers), 'bold'), ...rows.map(line)].join('\n');
}
