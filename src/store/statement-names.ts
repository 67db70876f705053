/**
 * The names of the statements every store defines, so that the compiler checks that the SQLite
 * and PostgreSQL statement sets match: each store's SQL object `satisfies StatementSet<Own>`,
 * where `Own` names the statements only that store has (its way of doing a shared step). A
 * statement added to one store and not the other, or misspelt, is a type error.
 */
export type SharedStatement =
  // enqueue
  | 'ensureQueues'
  | 'findEnvironment'
  | 'insertEnvironment'
  | 'keyHolders'
  | 'dependencyTargets'
  | 'insertDependencies'
  | 'setWaitingOn'
  // jobs
  | 'getJob'
  | 'getSeq'
  | 'listJobs'
  | 'jobEnvironment'
  | 'countJobs'
  | 'countJobsInQueue'
  | 'dependenciesOf'
  | 'dependentsOf'
  | 'countDependents'
  // the worker's steps, over the one definition of "runnable"
  | 'claimJob'
  | 'nextDueIn'
  | 'leftToRun'
  | 'settleJob'
  | 'cancelRequested'
  | 'listHeld'
  | 'heartbeat'
  // what a job's end does to its dependents (the rest is in PostgreSQL's settle_job)
  | 'cancelDependents'
  // user actions
  | 'retryDead'
  | 'cancelNow'
  | 'requestCancel'
  | 'updateJob'
  | 'lastSeq'
  | 'keyedInState'
  | 'keyConflicts'
  | 'waitingDependents'
  | 'dropDependencyLinks'
  | 'deleteAttempts'
  | 'listAttempts'
  // queues
  | 'listQueues'
  | 'setConcurrency'
  | 'setPaused'
  // workers and config
  | 'registerWorker'
  | 'deregisterWorker'
  | 'listWorkers'
  | 'requestStop'
  | 'configAll'
  | 'configSet'
  // the maintenance leader, retention, schedules, hooks (issue 15)
  | 'leaderAcquire'
  | 'leaderGet'
  | 'leaderRelease'
  | 'listExpired'
  | 'purgeExpired'
  | 'insertSchedule'
  | 'listSchedules'
  | 'deleteSchedule'
  | 'pauseSchedule'
  | 'advanceSchedule'
  | 'insertSlotJob'
  | 'configDelete'
  | 'takeHooks';

/** A store's statements: every shared one, and its own (`Own`), by name; nothing else. */
export type StatementSet<Own extends string> = Readonly<Record<SharedStatement | Own, string>>;
