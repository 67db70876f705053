/**
 * Words as a POSIX shell reads them back: `queuectl enqueue -- sh -c 'echo a b'` records
 * `sh -c 'echo a b'`, so the job runs what was typed.
 */

/** One word, quoted only when the shell would otherwise split or expand it. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Words joined into one command line that a shell splits back into the same words. */
export function shellWords(words: string[]): string {
  return words.map(shellQuote).join(' ');
}

/** A command line as one argument in a hint: in double quotes where that keeps it as it is. */
export function quotedCommand(command: string): string {
  return /["\\$`!]/.test(command) ? shellQuote(command) : `"${command}"`;
}
