/** How a broken database and an integrity verdict are told to people, in one line each. */
import type { IntegrityVerdict } from '../store/integrity.js';
import { formatDuration } from './units.js';

/** Problems shown in one line; the rest are counted. */
const SHOWN_PROBLEMS = 2;

export function describeIntegrity(verdict: IntegrityVerdict): string {
  const took = formatDuration(verdict.elapsedMs);
  switch (verdict.result) {
    case 'ok':
      return `PRAGMA ${verdict.check}: ok (${took})`;
    case 'problems': {
      const shown = verdict.problems.slice(0, SHOWN_PROBLEMS).map((p) => JSON.stringify(p));
      const more = verdict.problems.length - shown.length;
      return `PRAGMA ${verdict.check} found problems: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
    }
    case 'timeout':
      return `PRAGMA ${verdict.check} did not finish within ${took} (the database is large; queuectl doctor runs it to the end)`;
    case 'unreadable':
      return `PRAGMA ${verdict.check} could not open it (${verdict.problems[0] ?? 'unknown error'})`;
    case 'skipped':
      return verdict.check === 'none'
        ? 'integrity not checked (PostgreSQL: use pg_amcheck on the server)'
        : `PRAGMA ${verdict.check} ${verdict.problems[0] ?? 'not run'}`;
  }
}

/** The last line of a worker or `worker start` that stopped because the database is broken. */
export function brokenStoreLine(problem: string, verdict: IntegrityVerdict): string {
  return `${problem}; ${describeIntegrity(verdict)}; workers stopped (run queuectl doctor)`;
}
