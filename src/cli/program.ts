/**
 * Every command and flag, registered in one place. Command modules load lazily so that a
 * command only pays for what it uses (queuectl enqueue must start fast).
 */
import { Command, Option } from 'commander';
import { CONFIG_KEYS, CONFIG_KEY_NAMES } from '../core/config.js';

// Commander's options are untyped; each command module declares and validates the ones it reads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Opts = any;

/** Prints a command's result: JSON with --json, otherwise the command's human rendering. */
async function emit<T>(opts: Opts, data: T, render: (data: T) => string): Promise<void> {
  const { toJson } = await import('./output.js');
  process.stdout.write(`${opts.json ? toJson(data) : render(data)}\n`);
}

async function queueFor<T>(
  opts: Opts,
  work: (queue: import('../core/queue.js').Queue) => Promise<T>,
): Promise<T> {
  const { withQueue } = await import('./context.js');
  return withQueue(opts, work);
}

/** Wraps an action so it receives the merged global and local options first. */
function action<A extends unknown[]>(run: (opts: Opts, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    await run(command.optsWithGlobals() as Opts, ...(args.slice(0, -2) as A));
  };
}

const examples = (...lines: string[]) =>
  `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
const jsonOption = new Option('--json', 'print machine-readable JSON');

export function buildProgram(): Command {
  const program = new Command('queuectl')
    .description(
      'A background job queue for shell commands: workers, retries with backoff, a dead letter queue.',
    )
    .version('0.1.0', '-V, --version')
    // Usage errors in one line, suggestion included: "error: unknown option '--cont' (Did you mean --count?)".
    .configureOutput({
      outputError: (message, write) => write(`${message.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .option(
      '--db <path|url>',
      'database: a SQLite file path or postgres:// URL (env QUEUECTL_DB; default ~/.local/share/queuectl/queuectl.db)',
    )
    // Handled before commander parses (interactive/menu-request.ts); listed here for --help.
    .option(
      '-i, --interactive',
      'open the interactive menu (what queuectl without a command does on a terminal)',
    )
    .addHelpText(
      'after',
      examples(
        `queuectl enqueue '{"id":"job1","command":"sleep 2"}'`,
        'queuectl worker start --count 3',
        'queuectl status',
        'queuectl dlq list',
      ) +
        '\nExit codes: 0 success, 1 failure (database unreachable, timeout), 2 usage or validation error.\n',
    );

  program
    .command('enqueue')
    .description(
      'Add jobs. A job is JSON: {"command": "...", "id"?, "max_retries"?, "priority"?, "timeout_seconds"?, "run_at"?, "delay"?}.\n' +
        'max_retries is the number of retries after the first run: max_retries 3 means at most 4 runs.',
    )
    .argument('[json]', 'one job object, or an array of them')
    .option(
      '-f, --file <file>',
      'read jobs from a file (- for stdin): one object, an array, or one object per line',
    )
    .option('-c, --command <command>', 'enqueue this shell command without writing JSON')
    .option('--id <id>', 'with -c: the job id (default: generated)')
    .option('--priority <n>', 'with -c: higher runs first (default 0)')
    .option('--delay <duration>', 'with -c: do not start before this long from now (30s, 5m, 2h)')
    .option(
      '--run-at <time>',
      'with -c: do not start before this ISO-8601 time (2026-05-01T09:30:00Z)',
    )
    .option('--timeout <duration>', 'with -c: kill the run after this long (30s, 5m)')
    .option(
      '--max-retries <n>',
      'with -c: retries after the first run (default: config max-retries)',
    )
    .addOption(jsonOption)
    .addHelpText(
      'after',
      examples(
        `queuectl enqueue '{"id":"job1","command":"sleep 2"}'`,
        `queuectl enqueue '{"command":"make test","max_retries":5,"priority":10}'`,
        'queuectl enqueue -c "make test" --id build-1 --priority 5 --delay 10m --timeout 30s --max-retries 2',
        'queuectl enqueue --file jobs.ndjson',
        `echo '{"command":"date"}' | queuectl enqueue --file -`,
      ),
    )
    .action(
      action(async (opts, json?: string) => {
        const { enqueue, renderEnqueue } = await import('./commands/enqueue.js');
        const progress = process.stderr.isTTY
          ? (n: number) => n % 10_000 === 0 && process.stderr.write(`\rstored ${n} jobs…`)
          : undefined;
        const result = await queueFor(opts, (queue) => enqueue(queue, json, opts, progress));
        if (progress && result.count >= 10_000) process.stderr.write('\r\u001b[2K');
        await emit(opts, result.job ?? result, () => renderEnqueue(result));
      }),
    );

  const worker = program.command('worker').description('Run or stop worker processes');
  worker
    .command('start')
    .description(
      'Start worker processes in the foreground. Ctrl+C stops them gracefully; a second Ctrl+C stops at once.',
    )
    .option('-n, --count <n>', 'how many worker processes', '1')
    .option('--drain', 'exit once no job is left to run (pending, waiting for a retry, or running)')
    .option('-q, --quiet', 'do not log each job')
    .addHelpText(
      'after',
      examples('queuectl worker start --count 3', 'queuectl worker start --count 2 --drain'),
    )
    .action(
      action(async (opts) => {
        const { workerStart } = await import('./commands/worker-start.js');
        await workerStart(opts.db, opts);
      }),
    );
  worker
    .command('stop')
    .description(
      'Ask every running worker on this database to stop gracefully and wait until they have exited.',
    )
    .option('--timeout <duration>', 'how long to wait for running jobs to finish', '60s')
    .option('--local', "only this host's workers")
    .addOption(jsonOption)
    .addHelpText('after', examples('queuectl worker stop', 'queuectl worker stop --timeout 5m'))
    .action(
      action(async (opts) => {
        const { workerStop, renderWorkerStop } = await import('./commands/worker-stop.js');
        await emit(
          opts,
          await queueFor(opts, (queue) => workerStop(queue, opts)),
          renderWorkerStop,
        );
      }),
    );

  program
    .command('status')
    .description('Job counts per state, active workers, and the database in use')
    .addOption(jsonOption)
    .addHelpText('after', examples('queuectl status', 'queuectl status --json'))
    .action(
      action(async (opts) => {
        const { status, renderStatus } = await import('./commands/status.js');
        await emit(opts, await queueFor(opts, status), (s) => renderStatus(s));
      }),
    );

  program
    .command('list')
    .description('List jobs, newest first')
    .option(
      '-s, --state <state>',
      'only jobs in this state: pending, processing, completed, failed, dead',
    )
    .option('-l, --limit <n>', 'at most this many jobs', '50')
    .option('--before <id>', 'the next page: jobs enqueued before this one')
    .option('--search <text>', 'only jobs whose id or command contains this text')
    .addOption(jsonOption)
    .addHelpText(
      'after',
      examples('queuectl list --state failed', 'queuectl list --limit 10 --json'),
    )
    .action(
      action(async (opts) => {
        const { list, renderJobs } = await import('./commands/list.js');
        await emit(opts, await queueFor(opts, (queue) => list(queue, opts)), (jobs) =>
          renderJobs(jobs, Number(opts.limit)),
        );
      }),
    );

  program
    .command('top')
    .description(
      'A live full-screen view: counts, workers and their current jobs, latest failures, throughput (q quits)',
    )
    .addOption(new Option('--json').hideHelp())
    .addHelpText('after', examples('queuectl top', 'queuectl --db /tmp/q.db top'))
    .action(
      action(async (opts) => {
        const { top } = await import('./top/top-command.js');
        await top(opts);
      }),
    );

  program
    .command('show')
    .description('Everything about one job, with its attempts')
    .argument('<id>', 'job id')
    .addOption(jsonOption)
    .addHelpText('after', examples('queuectl show job1', 'queuectl show job1 --json'))
    .action(
      action(async (opts, id: string) => {
        const { show, renderShow } = await import('./commands/show.js');
        await emit(opts, await queueFor(opts, (queue) => show(queue, id)), renderShow);
      }),
    );

  program
    .command('logs')
    .description("Print a job's captured output (latest run by default)")
    .argument('<id>', 'job id')
    .option('--attempt <n>', 'the run to show (see queuectl show)')
    .option('--stdout', 'only standard output')
    .option('--stderr', 'only standard error')
    .option('-f, --follow', 'keep printing while the job runs')
    .addOption(jsonOption)
    .addHelpText(
      'after',
      examples(
        'queuectl logs job1',
        'queuectl logs job1 --attempt 2 --stderr',
        'queuectl logs job1 --follow',
      ),
    )
    .action(
      action(async (opts, id: string) => {
        const { logs } = await import('./commands/logs.js');
        await queueFor(opts, (queue) => logs(queue, id, opts));
      }),
    );

  const dlq = program
    .command('dlq')
    .description('The dead letter queue: jobs whose retries are exhausted');
  dlq
    .command('list')
    .description('List dead jobs, newest first')
    .option('-l, --limit <n>', 'at most this many jobs', '50')
    .option('--before <id>', 'the next page: jobs enqueued before this one')
    .addOption(jsonOption)
    .addHelpText('after', examples('queuectl dlq list', 'queuectl dlq list --json'))
    .action(
      action(async (opts) => {
        const { dlqList } = await import('./commands/dlq.js');
        const { renderJobs } = await import('./commands/list.js');
        await emit(opts, await queueFor(opts, (queue) => dlqList(queue, opts)), (jobs) =>
          renderJobs(jobs, Number(opts.limit)),
        );
      }),
    );
  dlq
    .command('retry')
    .description(
      'Move dead jobs back to pending with attempts reset to 0 (their last error stays visible)',
    )
    .argument('<id...>', 'job ids')
    .addOption(jsonOption)
    .addHelpText('after', examples('queuectl dlq retry job1', 'queuectl dlq retry job1 job2'))
    .action(
      action(async (opts, ids: string[]) => {
        const { dlqRetry, renderRetried } = await import('./commands/dlq.js');
        await emit(opts, await queueFor(opts, (queue) => dlqRetry(queue, ids)), renderRetried);
      }),
    );

  const config = program
    .command('config')
    .description('Read and change settings stored in the database');
  config
    .command('list')
    .description('Every key with its value, default and meaning')
    .addOption(jsonOption)
    .action(
      action(async (opts) => {
        const { configList, renderConfig } = await import('./commands/config.js');
        await emit(opts, await queueFor(opts, configList), renderConfig);
      }),
    );
  config
    .command('get')
    .description('One key (or all, without a key)')
    .argument('[key]', 'e.g. max-retries')
    .addOption(jsonOption)
    .addHelpText('after', examples('queuectl config get max-retries', 'queuectl config get'))
    .action(
      action(async (opts, key?: string) => {
        const { configGet, configList, renderConfig } = await import('./commands/config.js');
        if (key === undefined) {
          await emit(opts, await queueFor(opts, configList), renderConfig);
          return;
        }
        await emit(
          opts,
          await queueFor(opts, (queue) => configGet(queue, key)),
          (entry) => entry.value,
        );
      }),
    );
  config
    .command('set')
    .description('Change a key; the value is validated and a bad one changes nothing')
    .argument('<key>', 'e.g. max-retries (max_retries is accepted too)')
    .argument('<value>', 'the new value')
    .addOption(jsonOption)
    .addHelpText(
      'after',
      `\nKeys and the values they accept:\n${CONFIG_KEY_NAMES.map((key) => `  ${key.padEnd(14)} ${CONFIG_KEYS[key].range}`).join('\n')}\n` +
        examples(
          'queuectl config set max-retries 5',
          'queuectl config set backoff-base 3',
          'queuectl config set backoff-max 10m',
        ),
    )
    .action(
      action(async (opts, key: string, value: string) => {
        const { configSet } = await import('./commands/config.js');
        await emit(
          opts,
          await queueFor(opts, (queue) => configSet(queue, key, value)),
          (e) => `${e.key} = ${e.value}`,
        );
      }),
    );

  program
    .command('stats')
    .description(
      'Completed, failed, dead and retried jobs, run times, throughput and queue lag over a window',
    )
    .option('--since <duration>', 'the window, ending now', '1h')
    .addOption(jsonOption)
    .addHelpText('after', examples('queuectl stats', 'queuectl stats --since 24h --json'))
    .action(
      action(async (opts) => {
        const { stats, renderStats } = await import('./commands/stats.js');
        await emit(opts, await queueFor(opts, (queue) => stats(queue, opts)), renderStats);
      }),
    );

  program
    .command('migrate')
    .description(
      'Create or upgrade the database schema (also done automatically on first use; safe to run while workers start)',
    )
    .addOption(jsonOption)
    .addHelpText(
      'after',
      examples('queuectl migrate', 'queuectl --db postgres://app@db:5432/app?schema=jobs migrate'),
    )
    .action(
      action(async (opts) => {
        const { migrate, renderMigrate } = await import('./commands/migrate.js');
        await emit(opts, await migrate(opts.db), renderMigrate);
      }),
    );

  program
    .command('dashboard')
    .description(
      'Serve a live web dashboard: counts, workers, charts, jobs with their output, dead letter queue actions, /metrics',
    )
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', '3000')
    .option(
      '--host <address>',
      'address to bind; anything but loopback requires --token',
      '127.0.0.1',
    )
    .option(
      '--token <token>',
      'require this access token on every request (env QUEUECTL_DASHBOARD_TOKEN)',
    )
    .option('--open', 'open the page in a browser')
    .addHelpText(
      'after',
      examples(
        'queuectl dashboard',
        'queuectl dashboard --port 8080 --open',
        'queuectl dashboard --host 0.0.0.0 --token "$(openssl rand -hex 16)"',
      ),
    )
    .action(
      action(async (opts) => {
        const { dashboard } = await import('./commands/dashboard.js');
        await queueFor(opts, (queue) => dashboard(queue, opts));
      }),
    );

  program
    .command('demo')
    .description(
      'Enqueue a mix of jobs, run 3 workers until drained, and show the result (a throw-away database unless --db)',
    )
    .addHelpText('after', examples('queuectl demo', 'queuectl --db ./demo.db demo'))
    .action(
      action(async (opts) => {
        const { demo } = await import('./commands/demo.js');
        await demo(opts.db);
      }),
    );

  return program;
}
