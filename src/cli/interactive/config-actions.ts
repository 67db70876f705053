/** The menu's configuration actions: every setting, and changing one (validated, asked again). */
import { checkConfigValue } from '../../core/config.js';
import type { Queue } from '../../core/queue.js';
import { renderConfig } from '../commands/config.js';
import { print } from './print.js';
import { ask, CANCELLED, checkWith, choose } from './prompts.js';
import type { Session } from './session.js';

export async function showConfig(queue: Queue, session: Session): Promise<void> {
  print(renderConfig(await session.work(queue.configList())));
}

export async function setConfig(queue: Queue, session: Session): Promise<void> {
  const entries = await session.work(queue.configList());
  const entry = await choose(
    'Which setting?',
    entries.map((e, i) => ({ key: String(i + 1), name: `${e.key} = ${e.value}`, value: e })),
  );
  if (entry === CANCELLED) return;
  print(
    `${entry.key}: ${entry.description}\naccepts ${entry.range}; the default is ${entry.default}`,
  );
  const value = await ask(
    `New value for ${entry.key}`,
    checkWith((text) => checkConfigValue(entry.key, text)),
  );
  if (value === CANCELLED) return;
  print(renderConfig([await session.work(queue.configSet(entry.key, value))]));
}
