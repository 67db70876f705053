/**
 * How the user can run this same queuectl again from where they are, for hints we print:
 * `npx queuectl` when started through npx (npm puts node_modules/.bin on PATH only for that
 * call) or from inside this package's own directory, `queuectl` when that name on the user's
 * PATH is this program, and the full `node …/bin.cjs` otherwise.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join, relative, sep } from 'node:path';

function realpath(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

export function selfCommand(
  script = process.argv[1] ?? '',
  pathVariable = process.env.PATH ?? '',
  cwd = process.cwd(),
  viaNpx = process.env.npm_command === 'exec',
): string {
  if (viaNpx) return 'npx queuectl';
  const self = realpath(script);
  if (self === null) return 'queuectl';
  for (const dir of pathVariable.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'queuectl');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    if (realpath(candidate) === self) return 'queuectl';
  }
  // dist/cli/bin.cjs → the package root.
  const root = dirname(dirname(dirname(self)));
  const inside = relative(root, realpath(cwd) ?? cwd);
  if (inside === '' || (!inside.startsWith('..') && !inside.startsWith(sep))) return 'npx queuectl';
  return `${process.execPath} ${self}`;
}
