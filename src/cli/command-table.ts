/**
 * Every command and option of queuectl, described once. program.ts builds commander's commands,
 * --help and shell completion from this table; each command's module is imported only when that
 * command runs, so `queuectl enqueue` loads nothing it does not use.
 */
import { CONFIG_KEYS, CONFIG_KEY_NAMES } from '../core/config.js';
import { HOOK_EVENTS } from '../core/hooks.js';
import { MAX_EVERY_MS, MIN_EVERY_MS, OVERLAP_POLICIES } from '../core/schedule.js';
import { JOB_STATES } from '../core/job.js';
import { LIMITS } from '../core/job-spec.js';
import type { CommandSpec, OptionSpec } from './command-spec.js';
import { WORKER_START_OPTIONS } from './worker-start-options.js';
import {
  assignment,
  concurrency,
  duration,
  durationOrNone,
  finishedState,
  jobId,
  jobIds,
  queueName,
  RESTARTABLE,
  restartState,
  state,
  text,
  wholeNumber,
} from './option-parsers.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const YEAR = 365 * DAY;

const limit = (what: string): OptionSpec => ({
  flags: '-l, --limit <n>',
  description: `at most this many ${what}`,
  parse: wholeNumber('--limit', 1, 10_000),
  default: 50,
});
const before: OptionSpec = {
  flags: '--before <id>',
  description: 'the next page: jobs enqueued before this one',
  parse: jobId('--before'),
};
const stateOption: OptionSpec = {
  flags: '-s, --state <state>',
  description: `only jobs in this state: ${JOB_STATES.join(', ')}`,
  parse: state,
  choices: JOB_STATES,
};
const queueOption = (what: string): OptionSpec => ({
  flags: '--queue <name>',
  description: `only ${what} of this queue`,
  parse: queueName('--queue'),
});

export const COMMANDS: CommandSpec[] = [
  {
    path: ['enqueue'],
    description:
      'Add jobs. A job is JSON: {"command": "...", "id"?, "max_retries"?, "priority"?, "timeout_seconds"?, "run_at"?, "delay"?, "queue"?, "after"?, "unique_key"?}.\n' +
      'max_retries is the number of retries after the first run: max_retries 3 means at most 4 runs.\n' +
      'Everything after -- is taken as the command: queuectl enqueue -- make test.',
    arguments: [{ name: '[json...]', description: 'one job object, or an array of them' }],
    options: [
      {
        flags: '-f, --file <file>',
        description:
          'read jobs from a file (- for stdin): one object, an array, or one object per line',
      },
      {
        flags: '-c, --command <command>',
        description: 'enqueue this shell command without writing JSON (quote it: -c "make test")',
        parse: text('-c'),
      },
      { flags: '--id <id>', description: 'with -c: the job id (default: generated)' },
      {
        flags: '--priority <n>',
        description: 'with -c: higher runs first (default 0)',
        parse: wholeNumber('--priority', -LIMITS.priority, LIMITS.priority),
      },
      {
        flags: '--delay <duration>',
        description: 'with -c: do not start before this long from now (30s, 5m, 2h)',
      },
      {
        flags: '--run-at <time>',
        description:
          'with -c: do not start before this time (2026-05-01T09:30:00Z; without a zone: local time)',
      },
      {
        flags: '--timeout <duration>',
        description: 'with -c: kill the run after this long (30s, 5m)',
        parse: duration(
          '--timeout',
          LIMITS.minTimeoutSeconds * SECOND,
          LIMITS.timeoutSeconds * SECOND,
        ),
      },
      {
        flags: '--max-retries <n>',
        description: 'with -c: retries after the first run (default: config max-retries)',
        parse: wholeNumber('--max-retries', 0, LIMITS.maxRetries),
      },
      {
        flags: '--cwd <dir>',
        description:
          "run the jobs in this directory (default: the one enqueue is run from), on the worker's host",
      },
      {
        flags: '--env <name=value>',
        description: "set a variable in the jobs' environment (repeatable)",
        parse: assignment('--env'),
        repeatable: true,
      },
      {
        flags: '--clean-env',
        description:
          "record no environment: jobs get the worker's environment (plus any --env) instead of this shell's",
      },
      {
        flags: '--queue <name>',
        description: 'put the jobs that name no queue in this one (default: default)',
        parse: queueName('--queue'),
      },
      {
        flags: '--after <ids>',
        description:
          'with -c: run only once these jobs (ID[,ID...]) have completed; cancelled if one ends dead or cancelled',
        parse: jobIds('--after'),
      },
      {
        flags: '--unique-key <key>',
        description:
          'with -c: store nothing (and print the existing job) while a job with this key is pending, failed or running',
      },
    ],
    json: true,
    examples: [
      `queuectl enqueue '{"id":"job1","command":"sleep 2"}'`,
      `queuectl enqueue '{"command":"make test","max_retries":5,"priority":10}'`,
      'queuectl enqueue -c "make test" --id build-1 --priority 5 --delay 10m --timeout 30s --max-retries 2',
      'queuectl enqueue -- make test',
      'queuectl enqueue --cwd ~/proj --env CI=1 -c "make test"',
      'queuectl enqueue --queue emails -c "send-digest" --unique-key digest-2026-05-01',
      'queuectl enqueue -c "make deploy" --after build-1,test-1',
      'queuectl enqueue --file jobs.ndjson',
      `echo '{"command":"date"}' | queuectl enqueue --file -`,
    ],
    load: async () => (await import('./commands/enqueue.js')).enqueueCommand,
  },
  {
    path: ['worker'],
    description: 'Run or stop worker processes (`queuectl worker` alone starts them)',
    load: async () => {
      throw new Error('worker has subcommands');
    },
  },
  {
    path: ['worker', 'start'],
    isDefault: true,
    description:
      'Start worker processes in the foreground. Ctrl+C stops them gracefully; a second Ctrl+C stops at once.',
    options: WORKER_START_OPTIONS,
    examples: [
      'queuectl worker start --count 3',
      'queuectl worker start --count 2 --concurrency 8',
      'queuectl worker start --count 2 --queue emails,reports',
      'queuectl worker --count 2 --drain',
      'queuectl worker -v -c 2 -s 1',
      'queuectl worker start --count 4 --detach',
      'queuectl worker --stop',
    ],
    load: async () => (await import('./commands/worker-start.js')).workerStartCommand,
  },
  {
    path: ['worker', 'stop'],
    description:
      'Ask every running worker on this database to stop gracefully and wait until they have exited.',
    options: [
      {
        flags: '--timeout <duration>',
        description: 'how long to wait for running jobs to finish',
        parse: duration('--timeout', 0, YEAR),
        default: 60 * SECOND,
      },
      { flags: '--local', description: "only this host's workers" },
    ],
    json: true,
    examples: ['queuectl worker stop', 'queuectl worker stop --timeout 5m'],
    load: async () => (await import('./commands/worker-stop.js')).workerStopCommand,
  },
  {
    path: ['status'],
    description: 'Job counts per state and per queue, active workers, and the database in use',
    json: true,
    examples: ['queuectl status', 'queuectl status --json'],
    load: async () => (await import('./commands/status.js')).statusCommand,
  },
  {
    path: ['list'],
    description: 'List jobs, newest first',
    options: [
      stateOption,
      limit('jobs'),
      before,
      { flags: '--search <text>', description: 'only jobs whose id or command contains this text' },
      queueOption('jobs'),
    ],
    json: true,
    examples: [
      'queuectl list --state failed',
      'queuectl list --queue emails --state pending',
      'queuectl list -s pending',
      'queuectl list --limit 10 --json',
    ],
    load: async () => (await import('./commands/list.js')).listCommand,
  },
  {
    path: ['top'],
    description:
      'A live full-screen view: counts, workers and their current jobs, latest failures, throughput (q quits)',
    options: [{ flags: '--json', description: 'refused: top is a live view', hidden: true }],
    examples: ['queuectl top', 'queuectl --db /tmp/q.db top'],
    load: async () => (await import('./top/top-command.js')).topCommand,
  },
  {
    path: ['cancel'],
    description:
      'Cancel jobs: a waiting one never runs; a running one is stopped (SIGTERM to its session, SIGKILL after kill-grace). All of them, or none if one cannot be.',
    arguments: [{ name: '<id...>', description: 'job ids' }],
    json: true,
    examples: ['queuectl cancel job1', 'queuectl cancel job1 job2'],
    load: async () => (await import('./commands/cancel.js')).cancelCommand,
  },
  {
    path: ['wait'],
    description:
      "Wait until the jobs have finished (completed, dead or cancelled). Exit status: one job: its last run's (0 completed; 128+n killed by signal n; 1 cancelled or never run); several: 0 if all completed, else 1; 124 on --timeout.",
    arguments: [{ name: '<id...>', description: 'job ids' }],
    options: [
      {
        flags: '--timeout <duration>',
        description: 'give up after this long (exit 124)',
        parse: duration('--timeout', 0, 10 * YEAR),
      },
    ],
    json: true,
    examples: ['queuectl wait build-1 && echo built', 'queuectl wait a b c --timeout 10m'],
    load: async () => (await import('./commands/wait.js')).waitCommand,
  },
  {
    path: ['restart'],
    description:
      'Run finished jobs (completed, dead, cancelled) again as the same jobs: attempts reset, their history kept and numbered on',
    arguments: [{ name: '[id...]', description: 'job ids' }],
    options: [
      {
        flags: '-s, --state <state>',
        description: 'every job in this state: dead, cancelled or completed',
        parse: restartState,
        choices: RESTARTABLE,
      },
    ],
    json: true,
    examples: ['queuectl restart build-1', 'queuectl restart --state dead'],
    load: async () => (await import('./commands/restart.js')).restartCommand,
  },
  {
    path: ['rm'],
    description:
      'Remove jobs that are not running, with their history and output files (cancel a running one first). All of them, or none.',
    arguments: [{ name: '<id...>', description: 'job ids' }],
    json: true,
    examples: ['queuectl rm build-1', 'queuectl rm a b c'],
    load: async () => (await import('./commands/rm.js')).rmCommand,
  },
  {
    path: ['update'],
    description:
      'Change a job that has not started yet (pending, or failed and waiting for its retry)',
    arguments: [{ name: '<id>', description: 'job id' }],
    options: [
      {
        flags: '--priority <n>',
        description: 'higher runs first',
        parse: wholeNumber('--priority', -LIMITS.priority, LIMITS.priority),
      },
      { flags: '--run-at <time>', description: 'do not start before this time' },
      {
        flags: '--delay <duration>',
        description: 'do not start before this long from now',
        parse: duration('--delay', 0, 10 * YEAR),
      },
      {
        flags: '--max-retries <n>',
        description: 'retries after the first run',
        parse: wholeNumber('--max-retries', 0, LIMITS.maxRetries),
      },
      {
        flags: '--timeout <duration>',
        description: 'kill a run after this long (none: no limit)',
        parse: durationOrNone(
          '--timeout',
          LIMITS.minTimeoutSeconds * SECOND,
          LIMITS.timeoutSeconds * SECOND,
        ),
      },
      { flags: '--command <command>', description: 'the shell command', parse: text('--command') },
    ],
    json: true,
    examples: [
      'queuectl update build-1 --priority 10',
      'queuectl update nightly --delay 1h --timeout none',
    ],
    load: async () => (await import('./commands/update.js')).updateCommand,
  },
  {
    path: ['show'],
    description: 'Everything about one job, with its attempts',
    arguments: [{ name: '<id>', description: 'job id' }],
    options: [
      { flags: '--env', description: "also print the values of the job's recorded environment" },
    ],
    json: true,
    examples: ['queuectl show job1', 'queuectl show job1 --env', 'queuectl show job1 --json'],
    load: async () => (await import('./commands/show.js')).showCommand,
  },
  {
    path: ['logs'],
    description: "Print a job's captured output (latest run by default)",
    arguments: [{ name: '<id>', description: 'job id' }],
    options: [
      {
        flags: '--attempt <n>',
        description: 'the run to show (see queuectl show)',
        parse: wholeNumber('--attempt', 1, 1_000_000_000),
      },
      { flags: '--stdout', description: 'only standard output' },
      { flags: '--stderr', description: 'only standard error' },
      { flags: '-f, --follow', description: 'keep printing while the job runs' },
    ],
    json: true,
    examples: [
      'queuectl logs job1',
      'queuectl logs job1 --attempt 2 --stderr',
      'queuectl logs job1 --follow',
    ],
    load: async () => (await import('./commands/logs.js')).logsCommand,
  },
  {
    path: ['dlq'],
    description: 'The dead letter queue: jobs whose retries are exhausted',
    load: async () => {
      throw new Error('dlq has subcommands');
    },
  },
  {
    path: ['dlq', 'list'],
    description: 'List dead jobs, newest first',
    options: [limit('jobs'), before],
    json: true,
    examples: ['queuectl dlq list', 'queuectl dlq list --json'],
    load: async () => (await import('./commands/dlq.js')).dlqListCommand,
  },
  {
    path: ['dlq', 'retry'],
    description:
      'Move dead jobs back to pending with attempts reset to 0 (their last error stays visible); all of them, or none if one cannot be',
    arguments: [{ name: '<id...>', description: 'job ids' }],
    json: true,
    examples: ['queuectl dlq retry job1', 'queuectl dlq retry job1 job2'],
    load: async () => (await import('./commands/dlq.js')).dlqRetryCommand,
  },
  {
    path: ['config'],
    description: 'Read and change settings stored in the database',
    load: async () => {
      throw new Error('config has subcommands');
    },
  },
  {
    path: ['config', 'list'],
    description: 'Every key with its value, default and meaning',
    json: true,
    examples: ['queuectl config list'],
    load: async () => (await import('./commands/config.js')).configListCommand,
  },
  {
    path: ['config', 'get'],
    description: 'One key (or, without a key, every key with its value and meaning)',
    arguments: [{ name: '[key]', description: 'e.g. max-retries', choices: CONFIG_KEY_NAMES }],
    json: true,
    examples: ['queuectl config get max-retries', 'queuectl config get'],
    load: async () => (await import('./commands/config.js')).configGetCommand,
  },
  {
    path: ['config', 'set'],
    description: 'Change a key; the value is validated and a bad one changes nothing',
    arguments: [
      {
        name: '<key>',
        description: 'e.g. max-retries (max_retries is accepted too)',
        choices: CONFIG_KEY_NAMES,
      },
      { name: '<value>', description: 'the new value' },
    ],
    json: true,
    examples: [
      'queuectl config set max-retries 5',
      'queuectl config set backoff-base 3',
      'queuectl config set backoff-max 10m',
      '',
      'Keys and the values they accept:',
      ...CONFIG_KEY_NAMES.map((key) => `  ${key.padEnd(14)} ${CONFIG_KEYS[key].range}`),
    ],
    load: async () => (await import('./commands/config.js')).configSetCommand,
  },
  {
    path: ['stats'],
    description:
      'Completed, failed, dead and retried jobs, run times, throughput and queue lag over a window',
    options: [
      {
        flags: '--since <duration>',
        description: 'the window, ending now',
        parse: duration('--since', SECOND, 10 * YEAR),
        default: HOUR,
      },
      queueOption('runs and jobs'),
    ],
    json: true,
    examples: [
      'queuectl stats',
      'queuectl stats --since 24h --json',
      'queuectl stats --queue emails',
    ],
    load: async () => (await import('./commands/stats.js')).statsCommand,
  },
  {
    path: ['migrate'],
    description:
      'Create or upgrade the database schema (also done automatically on first use; safe to run while workers start)',
    json: true,
    examples: ['queuectl migrate', 'queuectl --db postgres://app@db:5432/app?schema=jobs migrate'],
    load: async () => (await import('./commands/migrate.js')).migrateCommand,
  },
  {
    path: ['doctor'],
    description:
      'Check the database and its files (integrity, schema version, modes, log directory, workers and jobs left behind) and say what to do; changes nothing. Exit 1 when a problem is found.',
    options: [
      {
        flags: '--full',
        description: 'PRAGMA integrity_check (also checks every index) instead of quick_check',
      },
    ],
    json: true,
    examples: ['queuectl doctor', 'queuectl doctor --full --json'],
    load: async () => (await import('./commands/doctor.js')).doctorCommand,
  },
  {
    path: ['dashboard'],
    description:
      'Serve a live web dashboard: counts, workers, charts, jobs with their output, dead letter queue actions, /metrics',
    options: [
      {
        flags: '-p, --port <n>',
        description: 'port to listen on (0 picks a free one)',
        parse: wholeNumber('--port', 0, 65_535),
        default: 3000,
      },
      {
        flags: '--host <address>',
        description: 'address to bind; anything but loopback requires an access token',
        default: '127.0.0.1',
      },
      {
        flags: '--token-file <path>',
        description:
          'require the access token in this file (only its owner may read it) on every request; or set QUEUECTL_DASHBOARD_TOKEN',
      },
      {
        flags: '--token <token>',
        description:
          'the access token on the command line: other users see it with ps; prefer QUEUECTL_DASHBOARD_TOKEN or --token-file',
      },
      {
        flags: '--allowed-host <name>',
        description:
          'also answer requests for this Host name, e.g. behind a proxy (repeatable); loopback names and the bound address always work',
        repeatable: true,
      },
      { flags: '--open', description: 'open the page in a browser' },
    ],
    examples: [
      'queuectl dashboard',
      'queuectl dashboard --port 8080 --open',
      'QUEUECTL_DASHBOARD_TOKEN=$(openssl rand -hex 16) queuectl dashboard --host 0.0.0.0',
      'queuectl dashboard --host 0.0.0.0 --token-file ~/.config/queuectl/token --allowed-host queue.example.com',
    ],
    load: async () => (await import('./commands/dashboard.js')).dashboardCommand,
  },
  {
    path: ['demo'],
    description:
      'Enqueue a mix of jobs, run 3 workers until drained, and show the result (a throw-away database unless --db)',
    examples: ['queuectl demo', 'queuectl --db ./demo.db demo'],
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
  {
    path: ['service'],
    description: 'Run workers as a systemd service',
    load: async () => {
      throw new Error('service has subcommands');
    },
  },
  {
    path: ['service', 'install'],
    description:
      'Write (or print) a systemd unit that runs queuectl worker start on this database, stopped gracefully',
    options: [
      {
        flags: '--user',
        description: 'a user unit (~/.config/systemd/user) instead of a system one',
      },
      {
        flags: '-n, --count <n>',
        description: 'worker processes (default: config worker-count when it starts)',
        parse: wholeNumber('--count', 1, 256),
      },
      {
        flags: '-j, --concurrency <m>',
        description: 'jobs each worker process runs at once (default: config worker-concurrency)',
        parse: wholeNumber('--concurrency', 1, 256),
      },
      {
        flags: '--stop-timeout <duration>',
        description:
          'TimeoutStopSec: how long a stop waits for running jobs before SIGKILL (more than kill-grace plus your longest job)',
        parse: duration('--stop-timeout', SECOND, 7 * DAY),
        default: 15 * 60 * SECOND,
      },
      { flags: '--print', description: 'print the unit instead of writing it' },
    ],
    examples: [
      'queuectl service install --user --count 4',
      'queuectl service install --user --count 2 --concurrency 8',
      'queuectl --db /srv/jobs.db service install --stop-timeout 2h',
      'queuectl service install --print',
    ],
    load: async () => (await import('./commands/service.js')).serviceInstallCommand,
  },
  // --- Named queues: limits, pause and resume (issue 14) ---
  {
    path: ['queue'],
    description:
      'Named queues: their counts, concurrency limits and pauses (`queuectl queue` alone = `queue list`)',
    load: async () => {
      throw new Error('queue has subcommands');
    },
  },
  {
    path: ['queue', 'list'],
    isDefault: true,
    description:
      'Every queue: jobs per state, how many run now and may start now, its limit, whether it is paused',
    json: true,
    examples: ['queuectl queue list', 'queuectl queue list --json'],
    load: async () => (await import('./commands/queue.js')).queueListCommand,
  },
  {
    path: ['queue', 'set'],
    description:
      "Set a queue's concurrency limit: never more of its jobs running at once, across every worker and host (creates the queue if needed)",
    arguments: [{ name: '<name>', description: 'queue name' }],
    options: [
      {
        flags: '--concurrency <n>',
        description: 'at most this many of its jobs at once; none removes the limit',
        parse: concurrency('--concurrency'),
      },
    ],
    json: true,
    examples: [
      'queuectl queue set emails --concurrency 2',
      'queuectl queue set emails --concurrency none',
    ],
    load: async () => (await import('./commands/queue.js')).queueSetCommand,
  },
  {
    path: ['pause'],
    description:
      'Pause queues: no worker on any host starts their jobs until they are resumed; running jobs finish; jobs can still be enqueued',
    arguments: [
      { name: '[queue...]', description: 'queue names (a new name makes a paused queue)' },
    ],
    options: [
      { flags: '--all', description: 'every queue there is now' },
      { flags: '--wait', description: 'return once the paused queues have no job running' },
      {
        flags: '--timeout <duration>',
        description: 'with --wait: give up after this long (exit 124)',
        parse: duration('--timeout', 0, 10 * YEAR),
      },
    ],
    json: true,
    examples: ['queuectl pause emails', 'queuectl pause --all --wait', 'queuectl pause a b'],
    load: async () => (await import('./commands/queue.js')).pauseCommand,
  },
  {
    path: ['resume'],
    description: 'Resume paused queues: workers everywhere take their jobs again at once',
    arguments: [{ name: '[queue...]', description: 'queue names' }],
    options: [{ flags: '--all', description: 'every queue' }],
    json: true,
    examples: ['queuectl resume emails', 'queuectl resume --all'],
    load: async () => (await import('./commands/queue.js')).resumeCommand,
  },
  // --- end of named queues ---
  // ---- Issue 15: retention, recurring schedules, completion hooks ----
  {
    path: ['clean'],
    description:
      'Delete finished jobs past their retention (config keep-completed, keep-dead, keep-cancelled) or older than --older-than, with their attempts and output files; says how many jobs and bytes. Workers do this on their own too.',
    options: [
      {
        flags: '-s, --state <state>',
        description: 'only jobs in this state: completed, dead or cancelled (default: all three)',
        parse: finishedState,
        choices: RESTARTABLE,
      },
      {
        flags: '--older-than <duration>',
        description:
          'jobs that finished at least this long ago (0 for all), instead of the keep-* settings',
        parse: duration('--older-than', 0, 10 * YEAR),
      },
      {
        flags: '--queue <name>',
        description: 'only jobs of this queue',
        parse: queueName('--queue'),
      },
      { flags: '--dry-run', description: 'only count what would be removed; change nothing' },
    ],
    json: true,
    examples: [
      'queuectl clean',
      'queuectl clean --state dead --older-than 7d --dry-run',
      'queuectl clean --older-than 0',
    ],
    load: async () => (await import('./commands/clean.js')).cleanCommand,
  },
  {
    path: ['schedule'],
    description: 'Recurring jobs: one job per slot of a cron expression or a period',
    load: async () => {
      throw new Error('schedule has subcommands');
    },
  },
  {
    path: ['schedule', 'add'],
    description:
      'Add a schedule: each slot (of --cron in --tz, or every --every) enqueues one job running -c CMD, however many workers and hosts run. The directory and environment are recorded as enqueue records them.',
    arguments: [
      {
        name: '<name>',
        description: `1-64 letters, digits, ".", "_", "-"; its jobs are named NAME:<slot time>`,
      },
    ],
    options: [
      {
        flags: '--cron <expression>',
        description:
          'a cron expression: minute hour day-of-month month day-of-week ("0 2 * * *"), or six fields with seconds first',
      },
      {
        flags: '--tz <zone>',
        description: 'the time zone --cron is read in (an IANA name: Europe/Berlin; default UTC)',
      },
      {
        flags: '--every <duration>',
        description: 'a slot every this long, the first one this long from now (30s, 1h, 7d)',
        parse: duration('--every', MIN_EVERY_MS, MAX_EVERY_MS),
      },
      {
        flags: '-c, --command <command>',
        description: 'the shell command each slot runs',
        parse: text('-c'),
      },
      {
        flags: '--priority <n>',
        description: 'higher runs first (default 0)',
        parse: wholeNumber('--priority', -LIMITS.priority, LIMITS.priority),
      },
      {
        flags: '--timeout <duration>',
        description: 'kill a run after this long',
        parse: duration(
          '--timeout',
          LIMITS.minTimeoutSeconds * SECOND,
          LIMITS.timeoutSeconds * SECOND,
        ),
      },
      {
        flags: '--max-retries <n>',
        description: 'retries after the first run (default: config max-retries when it fires)',
        parse: wholeNumber('--max-retries', 0, LIMITS.maxRetries),
      },
      {
        flags: '--cwd <dir>',
        description: "run the jobs in this directory (default: this one), on the worker's host",
      },
      {
        flags: '--env <name=value>',
        description: "set a variable in the jobs' environment (repeatable)",
        parse: assignment('--env'),
        repeatable: true,
      },
      {
        flags: '--clean-env',
        description: "record no environment: jobs get the worker's (plus any --env)",
      },
      {
        flags: '--queue <name>',
        description: 'the queue its jobs go to (default: default)',
        parse: queueName('--queue'),
      },
      {
        flags: '--overlap <policy>',
        description:
          "skip (default): no new job while the schedule's last job still waits or runs; allow: enqueue anyway",
        choices: OVERLAP_POLICIES,
      },
      {
        flags: '--catch-up',
        description: 'after slots were missed (no worker ran), run one job for the latest of them',
      },
    ],
    json: true,
    examples: [
      `queuectl schedule add nightly --cron "0 2 * * *" --tz Europe/Berlin -c "make backup"`,
      'queuectl schedule add ping --every 5m -c "curl -fsS https://example.com/health" --timeout 30s',
      'queuectl schedule add report --cron "0 9 * * 1" --catch-up --overlap allow -c ./weekly.sh',
    ],
    load: async () => (await import('./commands/schedule.js')).scheduleAddCommand,
  },
  {
    path: ['schedule', 'list'],
    description: "Every schedule: when it fires, its next run, its last job and that job's state",
    json: true,
    examples: ['queuectl schedule list', 'queuectl schedule list --json'],
    load: async () => (await import('./commands/schedule.js')).scheduleListCommand,
  },
  {
    path: ['schedule', 'rm'],
    description: 'Remove a schedule (the jobs it enqueued stay)',
    arguments: [{ name: '<name>', description: 'schedule name' }],
    json: true,
    examples: ['queuectl schedule rm nightly'],
    load: async () => (await import('./commands/schedule.js')).scheduleRmCommand,
  },
  {
    path: ['schedule', 'pause'],
    description: 'Stop a schedule from firing until it is resumed',
    arguments: [{ name: '<name>', description: 'schedule name' }],
    json: true,
    examples: ['queuectl schedule pause nightly'],
    load: async () => (await import('./commands/schedule.js')).schedulePauseCommand,
  },
  {
    path: ['schedule', 'resume'],
    description: 'Let a paused schedule fire again, from its next slot after now',
    arguments: [{ name: '<name>', description: 'schedule name' }],
    json: true,
    examples: ['queuectl schedule resume nightly'],
    load: async () => (await import('./commands/schedule.js')).scheduleResumeCommand,
  },
  {
    path: ['hook'],
    description:
      'Completion hooks: a shell command run after a job reaches a state, with the job in its environment',
    load: async () => {
      throw new Error('hook has subcommands');
    },
  },
  {
    path: ['hook', 'set'],
    description:
      'Set the command run (with /bin/sh -c, under config hook-timeout) after a job is completed, failed (and waits for a retry), dead or cancelled. It gets QUEUECTL_JOB_ID, QUEUECTL_STATE, QUEUECTL_EXIT_CODE, QUEUECTL_ATTEMPT, QUEUECTL_COMMAND, QUEUECTL_STDOUT_FILE and QUEUECTL_STDERR_FILE.',
    arguments: [
      { name: '<hook>', description: HOOK_EVENTS.join(', '), choices: HOOK_EVENTS },
      { name: '<command>', description: 'the shell command' },
    ],
    json: true,
    examples: [
      `queuectl hook set on-dead 'notify-send "queuectl: $QUEUECTL_JOB_ID died" "$(tail -n 5 "$QUEUECTL_STDERR_FILE")"'`,
      `queuectl hook set on-completed 'echo "$QUEUECTL_JOB_ID done" >> ~/done.log'`,
    ],
    load: async () => (await import('./commands/hook.js')).hookSetCommand,
  },
  {
    path: ['hook', 'list'],
    description: 'The hooks set',
    json: true,
    examples: ['queuectl hook list'],
    load: async () => (await import('./commands/hook.js')).hookListCommand,
  },
  {
    path: ['hook', 'rm'],
    description: 'Remove a hook',
    arguments: [{ name: '<hook>', description: HOOK_EVENTS.join(', '), choices: HOOK_EVENTS }],
    json: true,
    examples: ['queuectl hook rm on-dead'],
    load: async () => (await import('./commands/hook.js')).hookRmCommand,
  },
  // ---- end of issue 15 ----
  {
    path: ['completion'],
    description:
      'Print a shell completion script (commands, subcommands, options, states, config keys)',
    arguments: [
      { name: '<shell>', description: 'bash, zsh or fish', choices: ['bash', 'zsh', 'fish'] },
    ],
    examples: [
      'queuectl completion bash > ~/.local/share/bash-completion/completions/queuectl',
      'queuectl completion zsh > "${fpath[1]}/_queuectl"',
      'queuectl completion fish > ~/.config/fish/completions/queuectl.fish',
    ],
    load: async () => (await import('./commands/completion.js')).completionCommand,
  },
  {
    path: ['complete'],
    hidden: true,
    description: 'What completion scripts call: the completions for the words after --',
    arguments: [{ name: '[words...]', description: 'the command line being completed' }],
    load: async () => (await import('./commands/completion.js')).completeCommand,
  },
];
