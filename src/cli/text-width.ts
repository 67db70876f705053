/**
 * Text measured in terminal columns, for tables and full-screen views that must never wrap a
 * line: colour codes take no room, East Asian wide characters and emoji take two (the Unicode
 * East Asian Width property, from get-east-asian-width: ~3 ms to load, against ~40 ms for
 * string-width and its emoji tables), and control characters in stored text (a job's error, a
 * host name) are shown as "?" instead of moving the cursor.
 */
import { eastAsianWidth } from 'get-east-asian-width';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/y;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Stored text made safe to print: control characters (escape included) become "?". */
export function printable(text: string): string {
  return text.replace(CONTROL, '?');
}

/** Zero-width characters: combining marks, format characters, variation selectors. */
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf}|\u200b|[\ufe00-\ufe0f])$/u;

/** Cells one character takes: East Asian wide ones (and emoji) two, zero-width ones none. */
function charWidth(codePoint: number): number {
  if (ZERO_WIDTH.test(String.fromCodePoint(codePoint))) return 0;
  return eastAsianWidth(codePoint);
}

/** Splits text into colour codes (width 0) and characters with their widths. */
function* pieces(text: string): Generator<{ text: string; width: number }> {
  let i = 0;
  while (i < text.length) {
    ANSI.lastIndex = i;
    const code = ANSI.exec(text);
    if (code) {
      yield { text: code[0], width: 0 };
      i += code[0].length;
      continue;
    }
    const codePoint = text.codePointAt(i)!;
    const char = String.fromCodePoint(codePoint);
    yield { text: char, width: charWidth(codePoint) };
    i += char.length;
  }
}

export function width(text: string): number {
  let total = 0;
  for (const piece of pieces(text)) total += piece.width;
  return total;
}

/** At most `columns` wide; a cut line ends with "…" (and a colour reset if it had colour). */
export function truncate(text: string, columns: number): string {
  if (width(text) <= columns) return text;
  if (columns <= 0) return '';
  let out = '';
  let used = 0;
  let coloured = false;
  for (const piece of pieces(text)) {
    if (piece.width === 0) {
      out += piece.text;
      coloured = true;
      continue;
    }
    if (used + piece.width > columns - 1) break;
    out += piece.text;
    used += piece.width;
  }
  return `${out}…${coloured ? '\u001b[0m' : ''}`;
}

/** Pads to exactly `columns` (after truncating). */
export function padEnd(text: string, columns: number): string {
  const cut = truncate(text, columns);
  return cut + ' '.repeat(Math.max(0, columns - width(cut)));
}

/** Items laid out left to right, `gap` apart, starting a new line when the next does not fit. */
export function flow(items: string[], columns: number, gap = 3): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && width(line) + gap + width(item) > columns) {
      lines.push(line);
      line = item;
    } else {
      line = line ? `${line}${' '.repeat(gap)}${item}` : item;
    }
  }
  if (line) lines.push(line);
  return lines;
}
