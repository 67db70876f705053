/**
 * Errors a user can cause. The CLI maps each kind to an exit code in one place (cli/errors.ts);
 * anything else is an operational failure.
 */
export class QueuectlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /** The same error with a more helpful message (for context added by a caller). */
  withMessage(message: string): this {
    this.message = message;
    return this;
  }
}

/** The input is malformed or names something that cannot be (exit 2). */
export class ValidationError extends QueuectlError {}

/** A job, key or worker that does not exist (exit 2). */
export class NotFoundError extends QueuectlError {}

/** The request is well-formed but conflicts with stored state: a duplicate id, a job that is not dead (exit 2). */
export class ConflictError extends QueuectlError {}

/** A job id that already exists; `position` is its 0-based place in the batch being stored. */
export class DuplicateJobError extends ConflictError {
  constructor(
    readonly jobId: string,
    readonly position: number,
  ) {
    super(`a job with id "${jobId}" already exists`);
  }
}

/**
 * A job of a batch names in `after` a job that does not exist (`unknown`) or that comes later in
 * the same batch (`later`: a job may only depend on jobs stored before it). `position` is its
 * 0-based place in the batch being stored.
 */
export class DependencyError extends ValidationError {
  constructor(
    readonly jobId: string,
    readonly dependency: string,
    readonly reason: 'unknown' | 'later',
    readonly position: number,
  ) {
    super(
      reason === 'unknown'
        ? `after: no job with id "${dependency}"`
        : `after: job "${dependency}" comes later in the batch; a job can only be enqueued after jobs stored before it or earlier in the same batch`,
    );
  }
}

/**
 * The database cannot be used as it is: corrupt, not a database, unreadable or unwritable, full,
 * or its files were deleted while in use. Retrying does not help; someone must look
 * (`queuectl doctor`). Stores raise it in place of such driver errors; transient ones (a lock
 * held too long, a connection cut, a server restarting) stay as they are and are retried.
 * Not a QueuectlError: it is no mistake of the caller's (exit 1, not 2).
 */
export class StoreBrokenError extends Error {
  constructor(
    /** The file or URL (without password) of the database. */
    readonly location: string,
    /** The driver's code (SQLITE_CORRUPT, SQLSTATE XX001 …) or queuectl's own (WAL_DELETED). */
    readonly code: string,
    /** What is wrong, completing "the database LOCATION …": "is corrupt". */
    readonly problem: string,
    /** The driver's own message. */
    readonly detail: string,
  ) {
    super(`the database ${location} ${problem} (${code}: ${detail})`);
    this.name = 'StoreBrokenError';
  }
}
