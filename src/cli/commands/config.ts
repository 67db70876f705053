/** `queuectl config list|get|set`. */
import type { ConfigEntry } from '../../core/queue.js';
import type { QueueCommand } from '../command-spec.js';
import { paint } from '../output.js';
import { table } from '../table.js';

export const configListCommand: QueueCommand<ConfigEntry[]> = {
  kind: 'queue',
  run: (queue) => queue.configList(),
  render: (entries) => renderConfig(entries),
};

/** One key's value, or every key (as config list) when none is named. */
export const configGetCommand: QueueCommand<ConfigEntry | ConfigEntry[]> = {
  kind: 'queue',
  run: (queue, { args }) => (args[0] === undefined ? queue.configList() : queue.configGet(args[0])),
  render: (data) => (Array.isArray(data) ? renderConfig(data) : data.value),
};

export const configSetCommand: QueueCommand<ConfigEntry> = {
  kind: 'queue',
  run: (queue, { args }) => queue.configSet(args[0]!, args[1]!),
  render: (entry) => `${entry.key} = ${entry.value}`,
};

export function renderConfig(entries: ConfigEntry[]): string {
  return table(
    ['KEY', 'VALUE', 'DEFAULT', 'DESCRIPTION'],
    entries.map((e) => [
      e.key,
      e.isDefault ? paint(e.value, 'gray') : e.value,
      e.default,
      e.description,
    ]),
    { shrink: [3] },
  );
}
