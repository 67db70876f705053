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
