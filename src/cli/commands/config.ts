/** `queuectl config list|get|set`. */
import type { ConfigEntry, Queue } from '../../core/queue.js';
import { paint } from '../output.js';
import { table } from '../table.js';

export async function configList(queue: Queue): Promise<ConfigEntry[]> {
  return queue.configList();
}

export async function configGet(queue: Queue, key: string): Promise<ConfigEntry> {
  return queue.configGet(key);
}

export async function configSet(queue: Queue, key: string, value: string): Promise<ConfigEntry> {
  return queue.configSet(key, value);
}

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
