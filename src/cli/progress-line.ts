/**
 * One live status line at the bottom of a terminal, kept apart from other output: every line
 * printed through log() first clears it and then redraws it below, so a worker's log line never
 * runs into it. On anything but a terminal there is no live line; log() just writes.
 */
export class ProgressLine {
  private text = '';
  readonly live: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.live = Boolean(stream.isTTY);
  }

  /** Shows `text` as the live line (cut to the terminal's width, so it never wraps). */
  set(text: string): void {
    if (!this.live) return;
    const width = this.stream.columns > 1 ? this.stream.columns - 1 : 79;
    this.text = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.stream.write(`\r\u001b[2K${this.text}`);
  }

  /** Prints a line above the live line. */
  log(line: string, to: NodeJS.WriteStream = this.stream): void {
    if (!this.live) {
      to.write(`${line}\n`);
      return;
    }
    this.stream.write('\r\u001b[2K');
    to.write(`${line}\n`);
    if (this.text) this.stream.write(this.text);
  }

  /** Removes the live line. */
  clear(): void {
    if (this.live && this.text) this.stream.write('\r\u001b[2K');
    this.text = '';
  }
}
