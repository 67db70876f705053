/**
 * The interactive menu's prompts, over @inquirer/rawlist and @inquirer/input. They are imported
 * here, on first use, and nowhere else: no other command pays for loading them. Ctrl+C and
 * Ctrl+D end a prompt with CANCELLED instead of an exception; colours follow cli/output.ts
 * (a terminal, and no NO_COLOR).
 */
import { QueuectlError } from '../../core/errors.js';
import { describeError } from '../errors.js';
import { paint } from '../output.js';

export const CANCELLED = Symbol('cancelled');
export type Answer<T> = T | typeof CANCELLED;

export interface Choice<T> {
  /** What the user types to pick it ("1", "t"). */
  key: string;
  name: string;
  value: T;
}

/** A check of typed text: true when it is good, otherwise what is wrong and how to fix it. */
export type Check = (text: string) => true | string | Promise<true | string>;

function theme() {
  return {
    prefix: { idle: paint('?', 'blue'), done: paint('✔', 'green') },
    spinner: { interval: 80, frames: ['-', '\\', '|', '/'] },
    style: {
      answer: (text: string) => paint(text, 'cyan'),
      message: (text: string) => paint(text, 'bold'),
      error: (text: string) => paint(`> ${text}`, 'red'),
      defaultAnswer: (text: string) => paint(`(${text})`, 'gray'),
      help: (text: string) => paint(text, 'gray'),
      highlight: (text: string) => paint(text, 'cyan'),
      key: (text: string) => paint(`<${text}>`, 'cyan'),
      description: (text: string) => paint(text, 'gray'),
    },
  };
}

/** The prompt on screen, if any: cancelPrompt() ends it (the menu does so on SIGTERM). */
let open: AbortController | null = null;

export function cancelPrompt(): void {
  open?.abort();
}

interface KeyInfo {
  ctrl?: boolean;
  name?: string;
}

/**
 * Runs one prompt; Ctrl+C (the library's ExitPromptError) and Ctrl+D (end of input, which the
 * library would otherwise leave pending forever) give CANCELLED.
 */
async function run<T>(
  prompt: (context: { signal: AbortSignal }) => Promise<T>,
): Promise<Answer<T>> {
  const controller = new AbortController();
  open = controller;
  const onKey = (_text: string | undefined, key: KeyInfo | undefined) => {
    if (key?.ctrl && key.name === 'd') controller.abort();
  };
  process.stdin.on('keypress', onKey);
  try {
    return await prompt({ signal: controller.signal });
  } catch (error) {
    if (
      error instanceof Error &&
      (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')
    ) {
      process.stdout.write(`${paint('cancelled', 'gray')}\n`);
      return CANCELLED;
    }
    throw error;
  } finally {
    open = null;
    process.stdin.off('keypress', onKey);
  }
}

/** One of `choices`, picked by typing its key and Enter (or with the arrow keys). */
export async function choose<T>(message: string, choices: Choice<T>[]): Promise<Answer<T>> {
  const { default: rawlist } = await import('@inquirer/rawlist');
  return run((context) =>
    rawlist<T>(
      {
        message,
        choices: choices.map(({ key, name, value }) => ({ key, name, value, short: name })),
        theme: theme(),
      },
      context,
    ),
  );
}

/**
 * What is shown of typed text: all of it while it fits on the question's line, else its end (or,
 * once answered, its start and length). A long paste then costs one short line per keystroke
 * instead of re-wrapping the whole text every time, which took seconds for 10 KB and left
 * copies of the question behind once it was taller than the screen.
 */
function shown(message: string) {
  return (value: string, { isFinal }: { isFinal: boolean }) => {
    const room = Math.max(20, (process.stdout.columns || 80) - message.length - 6);
    if (value.length <= room) return value;
    return isFinal
      ? `${value.slice(0, room - 18)}… (${value.length} characters)`
      : `…${value.slice(1 - room)}`;
  };
}

/** A line of text; a failed check is shown under the prompt and the question asked again. */
export async function ask(message: string, check?: Check): Promise<Answer<string>> {
  const { default: input } = await import('@inquirer/input');
  return run((context) =>
    input(
      {
        message,
        validate: check,
        transformer: shown(message),
        theme: { ...theme(), validationFailureMode: 'keep' },
      },
      context,
    ),
  );
}

/** Waits for Enter (or Ctrl+C, Ctrl+D) so that output stays on screen until the user has read it. */
export async function pause(): Promise<void> {
  await ask('Press Enter to go back to the menu');
}

/**
 * A Check from a validator that throws: its error becomes the message shown under the question,
 * without the flag name a user error may start with ("--count must be …" reads "must be …").
 * Any other error (the database went away) is shown too: a check must never throw.
 */
export function checkWith(validate: (text: string) => unknown): Check {
  return async (text) => {
    try {
      await validate(text);
      return true;
    } catch (error) {
      if (error instanceof QueuectlError) return error.message.replace(/^--[a-z-]+ /, '');
      return describeError(error);
    }
  };
}
