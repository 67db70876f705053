/** The menu's output: results on stdout, and how many table rows fit the terminal. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Rows for a job table: the terminal's height less its header and the menu's answer lines. */
export function pageSize(): number {
  return Math.min(50, Math.max(5, (process.stdout.rows || 24) - 6));
}
