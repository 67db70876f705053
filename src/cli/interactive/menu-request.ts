/**
 * Whether a command line asks for the interactive menu, and opening it: no command at all (only
 * --db) on a terminal, or -i / --interactive. Without a terminal, no command still prints the
 * help, and -i is refused. The menu's modules (and its prompt library) are imported only here.
 */
import { ValidationError } from '../../core/errors.js';

export type MenuRequest =
  | { kind: 'menu'; db: string | undefined }
  /** -i or --interactive, but stdin or stdout is not a terminal. */
  | { kind: 'no-terminal' };

export function menuRequest(args: string[], isTerminal: boolean): MenuRequest | null {
  let db: string | undefined;
  let explicit = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-i' || arg === '--interactive') explicit = true;
    else if (arg === '--db' && i + 1 < args.length) db = args[++i];
    else if (arg.startsWith('--db=')) db = arg.slice('--db='.length);
    else return null; // a command, or a flag for commander (--help, --version)
  }
  if (isTerminal) return { kind: 'menu', db };
  return explicit ? { kind: 'no-terminal' } : null;
}

/** Runs the menu when asked for one and returns its exit code; null when not asked. */
export async function openMenu(args: string[]): Promise<number | null> {
  const request = menuRequest(args, Boolean(process.stdin.isTTY && process.stdout.isTTY));
  if (request === null) return null;
  if (request.kind === 'no-terminal') {
    throw new ValidationError(
      'the interactive menu needs a terminal (its input and output); run a command instead (queuectl --help lists them)',
    );
  }
  const { runMenu } = await import('./menu.js');
  return runMenu(request.db);
}
