/**
 * Completion hooks: a shell command run after a job reaches a state (pueue's callback,
 * task-spooler's TS_ONFINISH). They are stored as config keys `hook:on-<state>`, so workers
 * learn of them with the settings they re-read anyway, at no query per job. Who runs one: the
 * worker process that settled the job (a run's end, or the rescue of a lost run); for a job
 * cancelled by a command while it waited, the maintenance leader (from `pending_hooks`).
 * A hook is never retried and never changes the job.
 */
import { ValidationError } from './errors.js';
import type { JobState } from './job.js';
import { didYouMean } from './suggest.js';

export const HOOK_EVENTS = ['on-completed', 'on-failed', 'on-dead', 'on-cancelled'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/** At most this long a hook command (bytes of UTF-16 text, as job commands). */
const HOOK_COMMAND_MAX = 64 * 1024;

const PREFIX = 'hook:';

/** The state each hook follows. */
const EVENT_STATE: Record<HookEvent, JobState> = {
  'on-completed': 'completed',
  'on-failed': 'failed',
  'on-dead': 'dead',
  'on-cancelled': 'cancelled',
};

export function checkHookEvent(event: string): HookEvent {
  if ((HOOK_EVENTS as readonly string[]).includes(event)) return event as HookEvent;
  throw new ValidationError(
    `unknown hook "${event}"${didYouMean(event, HOOK_EVENTS)}; hooks are ${HOOK_EVENTS.join(', ')}`,
  );
}

export function checkHookCommand(command: string): string {
  // eslint-disable-next-line no-control-regex
  if (command.trim() === '' || command.length > HOOK_COMMAND_MAX || /\u0000/.test(command)) {
    throw new ValidationError(
      'the hook command must be a non-empty shell command of at most 64 KiB without NUL bytes',
    );
  }
  return command;
}

export function hookConfigKey(event: HookEvent): string {
  return `${PREFIX}${event}`;
}

/** The hooks set, by the state they follow, from every stored config key. */
export function hooksFrom(stored: Record<string, string>): Partial<Record<JobState, string>> {
  const hooks: Partial<Record<JobState, string>> = {};
  for (const event of HOOK_EVENTS) {
    const command = stored[hookConfigKey(event)];
    if (command !== undefined && command !== '') hooks[EVENT_STATE[event]] = command;
  }
  return hooks;
}

/** The hooks set, as `hook list` shows them. */
export function hookList(stored: Record<string, string>): { event: HookEvent; command: string }[] {
  return HOOK_EVENTS.flatMap((event) => {
    const command = stored[hookConfigKey(event)];
    return command === undefined ? [] : [{ event, command }];
  });
}

/** What a hook is told of the job it follows. */
export interface HookSubject {
  jobId: string;
  state: JobState;
  exitCode: number | null;
  /** The run number (as in the job's QUEUECTL_ATTEMPT and its output files' names); 0: never ran. */
  attempt: number;
  command: string;
  queue: string;
  /** The run's output files (on this host), or null when the job never ran. */
  stdoutPath: string | null;
  stderrPath: string | null;
}

/** A job settled by a command (not a worker), whose hook the maintenance leader runs. */
export interface PendingHook {
  job_id: string;
  state: JobState;
  attempt: number;
  exit_code: number | null;
  command: string;
  queue: string;
  created_at: number;
}

/** The variables a hook gets over the worker's environment. */
export function hookEnvironment(subject: HookSubject): Record<string, string> {
  return {
    QUEUECTL_JOB_ID: subject.jobId,
    QUEUECTL_STATE: subject.state,
    QUEUECTL_EXIT_CODE: subject.exitCode === null ? '' : String(subject.exitCode),
    QUEUECTL_ATTEMPT: String(subject.attempt),
    QUEUECTL_COMMAND: subject.command,
    QUEUECTL_STDOUT_FILE: subject.stdoutPath ?? '',
    QUEUECTL_STDERR_FILE: subject.stderrPath ?? '',
    QUEUECTL_QUEUE: subject.queue,
  };
}
