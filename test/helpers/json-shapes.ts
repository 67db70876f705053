/** The shapes of `--json` output that end-to-end tests read (timestamps are ISO-8601 strings). */
export interface JobJson {
  id: string;
  state: string;
  attempts: number;
  run_at: string;
  last_error: string | null;
  last_exit_code: number | null;
}

export interface AttemptJson {
  attempt: number;
  started_at: string;
  finished_at: string | null;
  outcome: string | null;
  error: string | null;
  signal: string | null;
}

/** `queuectl show <id> --json`. */
export interface Shown {
  job: JobJson;
  attempts: AttemptJson[];
}

/** Epoch milliseconds of an ISO timestamp from --json output. */
export const ms = (iso: string | null): number => Date.parse(iso!);
