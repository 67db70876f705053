/**
 * How a command is described: once, as data. The table (command-table.ts) lists every command
 * with its arguments, options (each with the parser that checks its value when argv is read),
 * examples and the module that implements it; program.ts turns the table into commander
 * commands, --help and shell completion. Command modules load only when their command runs.
 */
import type { Queue } from '../core/queue.js';

/** What a command receives: its arguments, its options (already parsed), the raw argv. */
export interface CommandInput<O = Record<string, unknown>> {
  args: string[];
  opts: O & { db?: string; json?: boolean };
  /** argv after node and the script, for the few commands that read it (`enqueue -- cmd`). */
  rawArgs: string[];
}

/** A command over a queue that returns data: printed as JSON with --json, else rendered. */
export interface QueueCommand<D, O = Record<string, unknown>> {
  kind: 'queue';
  run(queue: Queue, input: CommandInput<O>): Promise<D>;
  render(data: D, input: CommandInput<O>): string;
  /** What --json prints, when not the data itself. */
  jsonOf?(data: D): unknown;
  /** Checks made after printing (doctor fails when it found a problem). */
  after?(data: D): void;
}

/** A command that returns data without opening a queue itself (migrate, doctor). */
export interface DataCommand<D, O = Record<string, unknown>> {
  kind: 'data';
  run(input: CommandInput<O>): Promise<D>;
  render(data: D, input: CommandInput<O>): string;
  after?(data: D): void;
}

/**
 * A command that does its own work and printing (workers, the dashboard, live views). It may
 * resolve with an exit code of its own (`wait` exits with the job's).
 */
export interface PlainCommand<O = Record<string, unknown>> {
  kind: 'plain';
  run(input: CommandInput<O>): Promise<void | number>;
}

// Each module declares the options it reads; the table does not know them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = QueueCommand<any, any> | DataCommand<any, any> | PlainCommand<any>;

export interface OptionSpec {
  /** As commander spells them: '-n, --count <n>'. */
  flags: string;
  /** More short flags for the same option, as other tools spell it: ['-c']. */
  aliases?: string[];
  description: string;
  /** Checks and converts the value when argv is read; throws a ValidationError naming the flag. */
  parse?: (value: string) => unknown;
  /** The option may be given several times; its values are collected in a list. */
  repeatable?: boolean;
  default?: unknown;
  /** Shown by shell completion (and --help); `parse` still does the checking. */
  choices?: readonly string[];
  /** Accepted but left out of --help and completion. */
  hidden?: boolean;
}

export interface ArgumentSpec {
  /** '<id>', '[key]', '<id...>'. */
  name: string;
  description: string;
  choices?: readonly string[];
}

export interface CommandSpec {
  /** The words that name it: ['worker', 'start']. */
  path: string[];
  description: string;
  arguments?: ArgumentSpec[];
  options?: OptionSpec[];
  /** Adds --json (every read command has it). */
  json?: boolean;
  examples?: string[];
  /** Runs when its parent is given without a subcommand (`queuectl worker` = `worker start`). */
  isDefault?: boolean;
  /** Left out of --help (machinery, such as what completion scripts call). */
  hidden?: boolean;
  load(): Promise<AnyCommand>;
}
