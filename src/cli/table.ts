/**
 * Aligned tables that fit the terminal. On a terminal, columns marked `shrink` (free text such
 * as a command or an error) are cut with `…` so that a row never wraps; piped output is never
 * cut, so scripts see every character. Widths are display widths (text-width.ts).
 */
import { paint } from './output.js';
import { truncate, width } from './text-width.js';

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
    Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))),
  );
  const fit = options.width === undefined ? terminalWidth() : options.width;
  const shrink = options.shrink ?? [];
  if (fit !== null && shrink.length > 0) {
    let excess = widths.reduce((sum, w) => sum + w, 0) + GAP * (widths.length - 1) - fit;
    while (excess > 0) {
      const widest = shrink
        .filter((i) => widths[i]! > Math.max(MIN_SHRUNK, width(headers[i]!)))
        .sort((a, b) => widths[b]! - widths[a]!)[0];
      if (widest === undefined) break;
      widths[widest]!--;
      excess--;
    }
  }
  const line = (cells: string[]) =>
    cells
      .map((raw, i) => {
        const cell = shrink.includes(i) ? truncate(raw, widths[i]!) : raw;
        return i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell));
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [paint(line(headers), 'bold'), ...rows.map(line)].join('\n');
}
