/**
 * Which PostgreSQL errors mean the database itself is unusable (SQLSTATE class XX: data or index
 * corruption; 53100: disk full; 58030: I/O error; 58P01/58P02: files missing or duplicated on the
 * server). Connection errors (refused, terminated, the server restarting: 57P01–57P03, class 08,
 * errors without a SQLSTATE) are transient and left as they are, so workers keep retrying them.
 */
import { StoreBrokenError } from '../../core/errors.js';
import type { BrokenClassifier } from '../broken-store.js';

export function postgresProblem(sqlstate: string): string | null {
  if (sqlstate.startsWith('XX'))
    return 'is corrupt or failing: PostgreSQL reported an internal error';
  switch (sqlstate) {
    case '53100':
      return "cannot grow: the PostgreSQL server's disk is full";
    case '58030':
      return 'could not be read or written on the PostgreSQL server';
    case '58P01':
    case '58P02':
      return 'is missing files on the PostgreSQL server';
    default:
      return null;
  }
}

export function postgresClassifier(location: string): BrokenClassifier {
  return (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    // SQLSTATEs are five characters; Node's own codes (ECONNRESET …) are not.
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return null;
    const problem = postgresProblem(code);
    return problem
      ? new StoreBrokenError(location, `SQLSTATE ${code}`, problem, (error as Error).message)
      : null;
  };
}
