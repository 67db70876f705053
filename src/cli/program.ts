/**
 * Builds commander's program from the command table (command-table.ts): every command, its
 * arguments, its options with their parsers, --json, the examples of --help. Errors commander
 * reports itself (an unknown option, a missing argument) are one `queuectl:` line that says
 * where to look. A command's module is imported only when that command runs.
 */
import { Command, Option } from 'commander';
import type { AnyCommand, CommandInput, CommandSpec, OptionSpec } from './command-spec.js';
import { COMMANDS } from './command-table.js';

const EXIT_CODES =
  'Exit codes: 0 success, 1 failure (database unreachable, timeout), 2 usage or validation error.';

function examples(lines: string[] | undefined): string {
  if (!lines?.length) return '';
  return `\nExamples:\n${lines.map((line) => (line.startsWith(' ') || line === '' || line.endsWith(':') ? line : `  $ ${line}`)).join('\n')}\n`;
}

/** The exit code a command asked for (see PlainCommand); main.ts exits with it. */
export const commandExit: { code: number | null } = { code: null };

/** Runs a command's module with the parsed input: queue commands print JSON or their rendering. */
async function execute(command: AnyCommand, input: CommandInput): Promise<void> {
  if (command.kind === 'plain') {
    const code = await command.run(input);
    if (typeof code === 'number') commandExit.code = code;
    return;
  }
  const [{ withQueue }, { toJson }] = await Promise.all([
    import('./context.js'),
    import('./output.js'),
  ]);
  const data: unknown =
    command.kind === 'data'
      ? await command.run(input)
      : await withQueue(input.opts, (queue) => command.run(queue, input));
  const json = () =>
    toJson(command.kind === 'queue' && command.jsonOf ? command.jsonOf(data) : data);
  process.stdout.write(`${input.opts.json ? json() : command.render(data, input)}\n`);
  command.after?.(data);
}

function addOption(command: Command, spec: OptionSpec): void {
  const main = new Option(spec.flags, spec.description);
  const parse = spec.parse;
  if (spec.repeatable) {
    main.argParser((value: string, previous: unknown[] | undefined) => [
      ...(previous ?? []),
      parse ? parse(value) : value,
    ]);
  } else if (parse) {
    main.argParser((value: string) => parse(value));
  }
  if (spec.choices) main.argChoices = [...spec.choices]; // for completion and --help; parse checks
  if (spec.default !== undefined) main.default(spec.default);
  if (spec.hidden) main.hideHelp();
  command.addOption(main);
  // Commander takes one short flag per option: more become hidden options that set this one.
  for (const short of spec.aliases ?? []) {
    const alias = new Option(`${short}${main.required ? ' <value>' : ''}`).hideHelp();
    if (main.required) alias.argParser((value: string) => (parse ? parse(value) : value));
    command.addOption(alias);
    command.on(`option:${short.slice(1)}`, (value: unknown) =>
      command.setOptionValueWithSource(main.attributeName(), value ?? true, 'cli'),
    );
  }
}

function register(parent: Command, spec: CommandSpec, children: CommandSpec[]): Command {
  const command = new Command(spec.path[spec.path.length - 1]!).description(spec.description);
  for (const argument of spec.arguments ?? []) {
    command.argument(argument.name, argument.description);
    if (argument.choices) command.registeredArguments.at(-1)!.argChoices = [...argument.choices];
  }
  for (const option of spec.options ?? []) addOption(command, option);
  if (spec.json) command.addOption(new Option('--json', 'print machine-readable JSON'));
  const help = examples(spec.examples);
  if (help) command.addHelpText('after', help);
  parent.addCommand(command, { isDefault: spec.isDefault, hidden: spec.hidden });
  if (children.length === 0) {
    command.action(async (...received: unknown[]) => {
      const self = received[received.length - 1] as Command;
      const args = self.processedArgs.flatMap((value: unknown) =>
        value === undefined ? [] : Array.isArray(value) ? (value as string[]) : [String(value)],
      );
      const input: CommandInput = {
        args,
        opts: self.optsWithGlobals(),
        rawArgs: process.argv.slice(2),
      };
      await execute(await spec.load(), input);
    });
  }
  return command;
}

/** Commander's own errors, in our shape: one line, `queuectl:` first, where to read more. */
function configureErrors(command: Command, path: string): void {
  command.configureOutput({
    outputError: (message, write) => {
      const text = message
        .trim()
        .replace(/^error: /, '')
        .replace(/\s*\n\s*/g, ' ');
      // A value that starts with - (config set kill-grace -1s) reads as an option.
      const dash = /^unknown option '-\d/.test(text)
        ? '; a value that starts with - goes after --'
        : '';
      write(`queuectl: ${text}${dash}; see queuectl ${path}${path ? ' ' : ''}--help\n`);
    },
  });
}

/** The program; `leaveOut` names top-level commands not to register (completion builds its own). */
export function buildProgram(leaveOut: string[] = []): Command {
  const program = new Command('queuectl')
    .description(
      'A background job queue for shell commands: workers, retries with backoff, a dead letter queue.',
    )
    .version('0.1.0', '-V, --version')
    .option(
      '--db <path|url>',
      'database: a SQLite file path or postgres:// URL (env QUEUECTL_DB; default ~/.local/share/queuectl/queuectl.db)',
    )
    // Handled before commander parses (main.ts, interactive/menu-request.ts); listed for --help.
    .option(
      '-i, --interactive',
      'open the interactive menu (what queuectl without a command does on a terminal)',
    )
    .addHelpText(
      'after',
      examples([
        `queuectl enqueue '{"id":"job1","command":"sleep 2"}'`,
        'queuectl worker start --count 3',
        'queuectl status',
        'queuectl dlq list',
      ]) + `\n${EXIT_CODES}\n`,
    );
  configureErrors(program, '');
  const registered = new Map<string, Command>([['', program]]);
  for (const spec of COMMANDS) {
    if (leaveOut.includes(spec.path[0]!)) continue;
    const key = spec.path.join(' ');
    const parent = registered.get(spec.path.slice(0, -1).join(' '))!;
    const children = COMMANDS.filter(
      (other) =>
        other.path.length === spec.path.length + 1 && other.path.join(' ').startsWith(`${key} `),
    );
    const command = register(parent, spec, children);
    configureErrors(command, key);
    registered.set(key, command);
  }
  return program;
}
