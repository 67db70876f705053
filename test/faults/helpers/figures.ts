import { readFileSync } from 'node:fs';

/** Each scenario states its figures in the output, on one line each, prefixed for grepping. */
export function figure(text: string): void {
  process.stdout.write(`[faults] ${text}\n`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Writes NDJSON job specs to a string. */
export function ndjson(specs: object[]): string {
  return specs.map((spec) => JSON.stringify(spec)).join('\n') + '\n';
}

/** How many times each job id appears in a file the jobs append their id to, once per run. */
export function runsPerJob(path: string): Map<string, number> {
  const runs = new Map<string, number>();
  for (const id of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  return runs;
}
