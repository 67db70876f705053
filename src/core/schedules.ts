/**
 * Recurring schedules and completion hooks, as users manage them (`schedule …`, `hook …`): the
 * Queue's methods of that name call these, loading this module (and, for schedules, croner)
 * only when one is used.
 */
import { NotFoundError, ValidationError } from './errors.js';
import { DEFAULT_QUEUE } from './job.js';
import {
  checkHookCommand,
  checkHookEvent,
  hookConfigKey,
  hookList as hooksSet,
  type HookEvent,
} from './hooks.js';
import { checkCwd, checkQueueName, checkRecordedEnvironment, parseJobSpec } from './job-spec.js';
import type { Queue, RecordedContext, ScheduleInput } from './queue.js';
import {
  checkEvery,
  checkScheduleName,
  checkTimezone,
  OVERLAP_POLICIES,
  slotRule,
  type OverlapPolicy,
  type Schedule,
} from './schedule.js';

/**
 * Adds a recurring schedule: a cron expression (in a time zone) or a period, and the job each
 * slot enqueues, recorded like enqueue's (`recorded`: the directory and environment). Its
 * first slot is the first after now.
 */
export async function scheduleAdd(
  queue: Queue,
  input: ScheduleInput,
  recorded: RecordedContext = {},
): Promise<Schedule> {
  const name = checkScheduleName(input.name);
  if ((input.cron === undefined) === (input.everyMs === undefined)) {
    throw new ValidationError(
      'give either --cron "EXPR" or --every DURATION (e.g. --cron "0 2 * * *" or --every 1h)',
    );
  }
  if (input.timezone !== undefined && input.cron === undefined) {
    throw new ValidationError('--tz goes with --cron (an --every period has no time zone)');
  }
  const overlap = input.overlap ?? 'skip';
  if (!(OVERLAP_POLICIES as readonly string[]).includes(overlap)) {
    throw new ValidationError(
      `--overlap must be ${OVERLAP_POLICIES.join(' or ')}, not "${overlap}"`,
    );
  }
  // The job's fields, checked as enqueue checks them.
  const job = parseJobSpec(
    {
      command: input.command,
      ...(input.priority !== undefined && { priority: input.priority }),
      ...(input.maxRetries !== undefined && { max_retries: input.maxRetries }),
      ...(input.timeoutSeconds !== undefined && { timeout_seconds: input.timeoutSeconds }),
    },
    {
      maxRetries: 0,
      now: 0,
      cwd: recorded.cwd === undefined ? undefined : checkCwd(recorded.cwd, 'the working directory'),
      env: recorded.env === undefined ? undefined : checkRecordedEnvironment(recorded.env),
    },
  );
  const spec = {
    cron: input.cron ?? null,
    timezone: input.timezone === undefined ? null : checkTimezone(input.timezone),
    every_ms: input.everyMs === undefined ? null : checkEvery(input.everyMs),
  };
  const now = await queue.store.now();
  // --every slots fall on whole seconds: job ids without milliseconds.
  const anchorAt = Math.ceil(now / 1000) * 1000;
  const nextAt = (await slotRule({ ...spec, anchor_at: anchorAt })).next(now);
  if (nextAt === null) {
    throw new ValidationError(
      `cron expression "${input.cron}" never fires (no such date, e.g. February 30); check its day and month fields`,
    );
  }
  await queue.store.scheduleInsert({
    name,
    ...spec,
    command: job.command,
    priority: job.priority,
    max_retries: input.maxRetries === undefined ? null : job.max_retries,
    timeout_seconds: job.timeout_seconds,
    cwd: job.cwd,
    env: job.env,
    queue: input.queue === undefined ? DEFAULT_QUEUE : checkQueueName(input.queue, '--queue'),
    overlap: overlap as OverlapPolicy,
    catch_up: input.catchUp === true,
    anchor_at: anchorAt,
    next_at: nextAt,
  });
  return scheduleNamed(queue, name);
}

/** Every schedule (never its environment's values). */
export async function scheduleList(queue: Queue): Promise<Schedule[]> {
  // The values are dropped here: they may hold secrets, and nothing listed shows them.
  return (await queue.store.scheduleList()).map(({ env: _values, ...schedule }) => schedule);
}

export async function scheduleNamed(queue: Queue, name: string): Promise<Schedule> {
  const checked = checkScheduleName(name);
  const found = (await scheduleList(queue)).find((s) => s.name === checked);
  if (!found) throw noSchedule(checked);
  return found;
}

/** Removes a schedule; the jobs it enqueued stay. */
export async function scheduleRemove(queue: Queue, name: string): Promise<void> {
  if (!(await queue.store.scheduleDelete({ name: checkScheduleName(name) }))) {
    throw noSchedule(name);
  }
}

/**
 * Pauses a schedule (no slot fires while paused), or resumes it: its next slot is then the
 * first after now; the slots of the pause are not made up.
 */
export async function schedulePause(
  queue: Queue,
  name: string,
  paused: boolean,
): Promise<Schedule> {
  const schedule = await scheduleNamed(queue, name);
  let nextAt: number | null | undefined;
  if (!paused && schedule.paused) {
    nextAt = (await slotRule(schedule)).next(await queue.store.now());
  }
  if (!(await queue.store.scheduleSetPaused({ name: schedule.name, paused, nextAt }))) {
    throw noSchedule(name);
  }
  return scheduleNamed(queue, schedule.name);
}

/** Sets the hook run after a job reaches a state (replacing one set before). */
export async function hookSet(
  queue: Queue,
  event: string,
  command: string,
): Promise<{ event: HookEvent; command: string }> {
  const checked = checkHookEvent(event);
  await queue.store.configSet({ key: hookConfigKey(checked), value: checkHookCommand(command) });
  return { event: checked, command };
}

export async function hookList(queue: Queue): Promise<{ event: HookEvent; command: string }[]> {
  return hooksSet(await queue.store.configGetAll());
}

export async function hookRemove(queue: Queue, event: string): Promise<HookEvent> {
  const checked = checkHookEvent(event);
  if (!(await queue.store.configDelete({ key: hookConfigKey(checked) }))) {
    throw new NotFoundError(`no ${checked} hook is set; see queuectl hook list`);
  }
  return checked;
}

function noSchedule(name: string): NotFoundError {
  return new NotFoundError(`no schedule named "${name}"; see queuectl schedule list`);
}
