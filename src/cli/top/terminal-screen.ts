/**
 * A full-screen terminal session: the alternate screen, a hidden cursor, keys read one by one
 * (raw mode). close() puts all of it back, and runs by itself when the process exits some other
 * way (an exception, process.exit), so the terminal is never left in this state.
 */
const ENTER = '\u001b[?1049h\u001b[?25l\u001b[H\u001b[2J';
const LEAVE = '\u001b[?25h\u001b[?1049l';

export interface TerminalScreen {
  readonly columns: number;
  readonly rows: number;
  /** Replaces the screen's content with these lines (each already fitting the width). */
  draw(lines: string[]): void;
  close(): void;
}

export function openScreen(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  handlers: { onKeys: (keys: string) => void; onResize: () => void },
): TerminalScreen {
  const wasRaw = input.isRaw;
  const onData = (chunk: Buffer | string) => handlers.onKeys(chunk.toString());
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    process.off('exit', close);
    input.off('data', onData);
    output.off('resize', handlers.onResize);
    if (input.isTTY) input.setRawMode(wasRaw);
    input.pause();
    output.write(LEAVE);
  };
  process.on('exit', close);
  output.write(ENTER);
  if (input.isTTY) input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  output.on('resize', handlers.onResize);
  return {
    get columns() {
      return output.columns || 80;
    },
    get rows() {
      return output.rows || 24;
    },
    draw(lines) {
      if (!open) return;
      // Each line is cleared before it is written: clearing after a line that fills the width
      // would erase its last character.
      const frame = lines.map((line, i) => `\u001b[${i + 1};1H\u001b[2K${line}`).join('');
      const rest =
        lines.length < (output.rows || 24) ? `\u001b[${lines.length + 1};1H\u001b[J` : '';
      output.write(frame + rest);
    },
    close,
  };
}
