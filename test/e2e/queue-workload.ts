/**
 * Jobs that record when they ran: each appends "<id> start <ns>" and "<id> end <ns>" to a file
 * (one short append each, atomic with O_APPEND), so that a test can see from the jobs themselves
 * how many of them ran at once.
 */
import { existsSync, readFileSync } from 'node:fs';

/** A job spec that records its start and end in `file`, sleeping `seconds` between. */
export function timedJob(id: string, queue: string, file: string, seconds: number) {
  const stamp = (what: string) => `echo "$QUEUECTL_JOB_ID ${what} $(date +%s%N)" >> '${file}'`;
  return {
    id,
    queue,
    command: `${stamp('start')}; sleep ${seconds}; ${stamp('end')}`,
  };
}

export interface Interval {
  id: string;
  start: number;
  end: number;
}

/** The runs recorded in `file` (nanoseconds as numbers: only their order matters). */
export function readIntervals(file: string): Interval[] {
  const runs = new Map<string, Partial<Interval>>();
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const line of text.split('\n').filter(Boolean)) {
    const [id, what, ns] = line.split(' ');
    const run = runs.get(id!) ?? { id };
    run[what as 'start' | 'end'] = Number(ns);
    runs.set(id!, run);
  }
  return [...runs.values()].filter(
    (r): r is Interval => r.start !== undefined && r.end !== undefined,
  );
}

/** The most runs that were going on at one moment. */
export function maxOverlap(runs: Interval[]): number {
  const edges = runs.flatMap((r) => [
    { at: r.start, step: 1 },
    { at: r.end, step: -1 },
  ]);
  // An end and a start at the same instant do not overlap: ends first.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let now = 0;
  let most = 0;
  for (const edge of edges) {
    now += edge.step;
    most = Math.max(most, now);
  }
  return most;
}

/** Whether some run of `a` overlapped some run of `b`. */
export function ranBeside(a: Interval[], b: Interval[]): boolean {
  return a.some((x) => b.some((y) => x.start < y.end && y.start < x.end));
}
