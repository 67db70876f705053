/**
 * Leader duty: hooks of jobs settled by a command rather than a worker. A job cancelled while
 * it waited (`queuectl cancel`, the dashboard) is settled by that command, which has no time to
 * wait for a hook; so is one cancelled because a job it waits for ended dead or cancelled, by
 * whatever ended that job. The store records each in `pending_hooks` (only while an
 * on-cancelled hook is set) and the leader runs the hook, within about a second. On the
 * leader's host: the job's output files named in its environment are that host's.
 */
import { runSubject } from '../../hook-runner.js';
import type { Duty, DutyContext } from '../duty.js';

/** How often the leader looks. */
export const COMMAND_HOOKS_EVERY_MS = 1000;
/** Hooks taken per round. */
export const RECORDED_HOOKS_TAKE = 50;

export const commandHooks: Duty = {
  name: 'hooks of command-settled jobs',
  scope: 'leader',
  async run(context) {
    if (!context.hooksHaveRoom()) return COMMAND_HOOKS_EVERY_MS;
    return (await runRecordedHooks(context)) === RECORDED_HOOKS_TAKE ? 0 : COMMAND_HOOKS_EVERY_MS;
  },
};

/**
 * Takes a batch of recorded hooks and starts them; how many it took. The take is atomic (each
 * row goes to one taker), so a worker that is not the leader may take them too: one whose
 * `--drain` is over does, so that the hooks of jobs cancelled during the drain run before it
 * exits (Maintenance.drained).
 */
export async function runRecordedHooks(context: DutyContext): Promise<number> {
  const taken = await context.store.hookOutboxTake({ limit: RECORDED_HOOKS_TAKE });
  for (const pending of taken) {
    context.hook(
      runSubject(context.logDir, {
        jobId: pending.job_id,
        state: pending.state,
        exitCode: pending.exit_code,
        attempt: pending.attempt,
        command: pending.command,
        queue: pending.queue,
      }),
    );
  }
  return taken.length;
}
