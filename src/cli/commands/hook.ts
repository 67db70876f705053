/** `queuectl hook set|list|rm`: commands run after a job reaches a state. */
import type { HookEvent } from '../../core/hooks.js';
import type { QueueCommand } from '../command-spec.js';
import { oneLine } from '../output.js';
import { table } from '../table.js';

type Hook = { event: HookEvent; command: string };

export const hookSetCommand: QueueCommand<Hook> = {
  kind: 'queue',
  run: (queue, { args }) => queue.hookSet(args[0]!, args[1]!),
  render: (hook) => `${hook.event} = ${hook.command}`,
};

export const hookListCommand: QueueCommand<Hook[]> = {
  kind: 'queue',
  run: (queue) => queue.hookList(),
  render: (hooks) =>
    hooks.length === 0
      ? 'no hooks set (queuectl hook set on-dead \'notify-send "$QUEUECTL_JOB_ID died"\')'
      : table(
          ['HOOK', 'COMMAND'],
          hooks.map((hook) => [hook.event, oneLine(hook.command)]),
          { shrink: [1] },
        ),
};

export const hookRmCommand: QueueCommand<HookEvent> = {
  kind: 'queue',
  run: (queue, { args }) => queue.hookRemove(args[0]!),
  render: (event) => `${event}: removed`,
  jsonOf: (event) => ({ removed: event }),
};
