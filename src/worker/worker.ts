/**
 * One worker: claim -> run -> settle, up to `concurrency` jobs at a time (its slots), until asked
 * to stop.
 *
 * - Each slot is a loop: run a job, then record it and take the next in one step
 *   (jobSettleAndClaim). Free slots are filled together by one claim of as many jobs
 *   (jobClaimMany). Every job keeps its own lease, heartbeat, timeout, output cap and session.
 *
 * - Wakes within milliseconds of a commit (store.subscribe), when the next waiting job is due,
 *   and at least every poll-interval.
 * - Heartbeats renew the lease of each running job and carry stop requests made through the store.
 * - A cancelled running job (a cancel request in the store, from any host) is ended like a
 *   timeout: the worker looks on every wake-up (at most every CANCEL_CHECK_MS) and at every
 *   heartbeat. With every slot busy and commits coming faster than that (a busy pool), it stops
 *   listening and looks every CANCEL_CHECK_MS instead (commit-ears.ts).
 * - Maintenance (maintenance/maintenance.ts): every worker puts back jobs of dead worker
 *   processes on its host; the one holding the maintenance leader's lease also runs the
 *   database-wide duties (expired leases, retention, schedules, hooks of command-settled jobs).
 * - Runs the completion hook set for the state a job was settled in (hook-runner.ts), without
 *   waiting for it.
 * - requestStop(): finish the running jobs, record them, deregister. stopNow(): kill the running
 *   jobs' process groups and put the jobs back in the queue.
 * - A broken database (StoreBrokenError: corrupt, I/O error, read-only, full, files deleted) stops
 *   the worker for good: it says so through `alert` (even when quiet), stops claiming, kills the
 *   running job, tries a bounded number of times to put it back, and run() rejects with the error.
 */
import { randomBytes } from '../core/random-bytes.js';
import { resolveSettings, type Settings } from '../core/config.js';
import { StoreBrokenError } from '../core/errors.js';
import { hooksFrom } from '../core/hooks.js';
import type { Job, JobState } from '../core/job.js';
import { settleDecision } from '../core/transitions.js';
import { intervalMs, setLongTimeout, sleep } from '../core/timers.js';
import type {
  ClaimedJob,
  ClaimParams,
  Heartbeat,
  JobStore,
  Lease,
  SettleParams,
} from '../store/job-store.js';
import {
  DESCRIPTORS_PER_JOB,
  DESCRIPTORS_RESERVED,
  openFileLimit,
  slotsWithin,
} from './descriptor-limit.js';
import { outcomeLine } from './outcome-line.js';
import { hostId, processStartTime } from './process-info.js';
import { HookRunner, runSubject } from './hook-runner.js';
import { Maintenance } from './maintenance/maintenance.js';
import { CommitEars, EARS_TIMING } from './commit-ears.js';
import { defaultLauncher, type Launcher } from './launcher.js';
import { runCommand, type RunningCommand, type RunResult } from './run-command.js';

export interface WorkerOptions {
  store: JobStore;
  logDir: string;
  /**
   * Exit once nothing is left to run in the queues served (store.jobLeftToRun: jobs of paused
   * queues, and jobs waiting for dependencies that nothing can complete, do not count).
   */
  drain?: boolean;
  /** Claim only jobs of these queues (`worker start --queue a,b`); absent: every queue. */
  queues?: string[];
  id?: string;
  log?: (message: string) => void;
  /** Told even when `log` is silent: the database is broken and the worker stops (stderr by default). */
  alert?: (message: string) => void;
  /** How job processes are started; by default the fastest this platform has. */
  launcher?: Launcher;
  /** Overrides config poll-interval (milliseconds). */
  pollIntervalMs?: number;
  /** Run this many jobs, then stop as requestStop() would. */
  maxJobs?: number;
  /** Jobs run at once (`worker start --concurrency`); by default config worker-concurrency. */
  concurrency?: number;
  /** Receives every line a job writes (`worker start -v`); its output files are kept as always. */
  onOutput?: (jobId: string, stream: 'stdout' | 'stderr', line: string) => void;
  /** Called once, after this worker's first claim, whatever it found (or if it failed). */
  onFirstClaim?: () => void;
}

/** While a job runs, wake-ups make the worker ask whether it was cancelled, at most this often. */
const CANCEL_CHECK_MS = EARS_TIMING.lookEveryMs;
/** The first heartbeat of a run comes early, to record the job's process group. */
const FIRST_HEARTBEAT_MS = 100;
/** An idle worker wakes this long after the next job is due (see idleWait). */
const DUE_MARGIN_MS = 2;
/** Pause before retrying a claim or settle that failed (database restarting, connection cut). */
const STORE_RETRY_MS = 500;
/**
 * Once the database is broken, or the worker was told to stop at once, a result is tried this
 * many times, this far apart, and then left: the job stays `processing` until a worker rescues it.
 */
const GIVE_UP_ATTEMPTS = 3;
const BROKEN_RETRY_MS = 1000;

/** The maintenance leader takes no more command-settled hooks while this many are pending. */
const HOOKS_BACKLOG = 200;

const NOT_STARTED: RunResult = {
  outcome: 'interrupted',
  exitCode: null,
  signal: null,
  error: 'interrupted before it started: the worker was stopped at once',
  durationMs: 0,
};

/** A job the worker is running. */
interface Current {
  job: Job;
  lease: Lease;
  run: RunningCommand;
  /** Its cancel was seen and the run is being ended. */
  cancelling: boolean;
}

export function newWorkerId(): string {
  return `w-${randomBytes(5).toString('hex')}`;
}

export class Worker {
  readonly id: string;
  readonly host = hostId();
  private readonly store: JobStore;
  private settings!: Settings;
  private stopping = false;
  /** Jobs claimed so far, and claims under way (--max-jobs counts them). */
  private jobsClaimed = 0;
  private stoppedNow = false;
  /** How many jobs this worker runs at once (its slots); set when it starts. */
  private concurrency = 1;
  /** Free slots held for claims under way (their jobs get slots when the claim returns). */
  private reserved = 0;
  /** The jobs running now, by id. */
  private readonly running = new Map<string, Current>();
  /** The slots busy with a job (running it, or recording it and taking the next). */
  private readonly slots = new Set<Promise<void>>();
  /** When the running jobs were last asked about (a cancel), and a look planned for later. */
  private cancelCheckedAt = 0;
  private cancelCheck: NodeJS.Timeout | null = null;
  /** The store's commits, heard while they matter (commit-ears.ts). */
  private readonly ears: CommitEars;
  private woken = false;
  private wakeWaiter: (() => void) | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly log: (message: string) => void;
  private readonly alert: (message: string) => void;
  private readonly launcher: Launcher;
  /** Set by the first StoreBrokenError: the worker stops and run() rejects with it. */
  private broken: StoreBrokenError | null = null;
  /** The hook commands set, by the state they follow (re-read with the settings). */
  private hooks: Partial<Record<JobState, string>> = {};
  private readonly hookRunner: HookRunner;
  private readonly maintenance: Maintenance;

  /** Whether the first claim has been made (firstClaimMade). */
  private claimedBefore = false;

  constructor(private readonly options: WorkerOptions) {
    this.store = options.store;
    this.ears = new CommitEars((onChange) => this.store.subscribe(onChange), {
      commit: () => this.changed(),
      look: () => this.checkCancelSoon(),
    });
    this.id = options.id ?? newWorkerId();
    this.log = options.log ?? (() => {});
    this.alert =
      options.alert ?? ((message) => process.stderr.write(`queuectl worker: ${message}\n`));
    this.launcher = options.launcher ?? defaultLauncher();
    this.hookRunner = new HookRunner({
      timeoutMs: () => this.settings.hookTimeoutMs,
      log: this.log,
    });
    this.maintenance = new Maintenance({
      context: {
        store: this.store,
        host: this.host,
        workerId: this.id,
        logDir: options.logDir,
        settings: () => this.settings,
        log: this.log,
        hook: (subject) => this.runHook(subject),
        hasHook: (state) => this.hooks[state] !== undefined,
        hooksHaveRoom: () => this.hookRunner.pending < HOOKS_BACKLOG,
        drain: options.drain === true,
      },
      failed: (error) => this.dutyFailed(error),
    });
  }

  /**
   * Runs until stopped (or drained); resolves after the worker has deregistered. Rejects with
   * StoreBrokenError when the database broke (the worker has then stopped as well).
   */
  async run(): Promise<void> {
    this.settings = this.resolve(await this.store.configGetAll());
    await this.register();
    this.concurrency = this.slotCount();
    try {
      while (!this.stopping) {
        this.woken = false;
        // Listening from just after the first claim on (firstClaimMade), and again whenever a slot
        // is free (commit-ears.ts).
        if (this.claimedBefore && this.slots.size < this.concurrency) this.ears.listen();
        const free = Math.min(this.freeSlots(), this.claimsLeft());
        if (free > 0) {
          let claimed: number;
          try {
            claimed = await this.claim(free);
          } catch (error) {
            this.firstClaimMade();
            if (this.storeBroke(error)) continue;
            // Database restarting or connection cut: nothing was taken that the lease won't return.
            this.log(`claim failed (${(error as Error).message}); retrying`);
            await this.waitForWake(STORE_RETRY_MS);
            continue;
          }
          this.firstClaimMade();
          // Every free slot filled: more may be runnable; look again once a slot frees.
          if (claimed === free) continue;
          if (this.slots.size === 0 && this.options.drain && (await this.nothingLeft())) {
            // Hooks recorded for jobs cancelled meanwhile run before this worker exits.
            await this.maintenance
              .drained(() => this.stopping)
              .catch((error: unknown) => this.dutyFailed(error));
            break;
          }
        }
        // A slot that frees, or a commit, wakes this loop; idle, it also looks when a job is due.
        const wait = this.freeSlots() > 0 ? await this.idleWait() : this.settings.pollIntervalMs;
        // A wake-up that came while asking (a commit) means: look again now.
        if (!this.woken) await this.waitForWake(wait);
      }
      // Stopping: the running jobs finish (or, stopped at once, are interrupted) and are recorded.
      while (this.slots.size > 0) await Promise.race(this.slots);
    } finally {
      this.ears.close();
      for (const timer of this.timers) clearInterval(timer);
      if (this.cancelCheck) clearTimeout(this.cancelCheck);
      await this.maintenance.stop();
      // Hooks of the last jobs still run, within their timeout; at once: killed.
      if (this.stoppedNow) this.hookRunner.killAll();
      else await this.hookRunner.drain(this.settings.hookTimeoutMs);
      // If this fails the row goes stale and a rescuer removes it.
      await this.store.workerDeregister({ workerId: this.id }).catch(() => {});
    }
    if (this.broken) throw this.broken;
  }

  /**
   * What can wait until the first claim has been made and its job started, so that a new worker's
   * first job starts sooner: the heartbeat, the maintenance duties, and listening for commits.
   * A commit between the claim and the start of listening would go unheard, so the worker then
   * acts as if it had heard one: it looks for work again, and for cancels of what it runs.
   */
  private firstClaimMade(): void {
    if (this.claimedBefore) return;
    this.claimedBefore = true;
    this.every(Math.min(2000, this.settings.leaseTimeoutMs / 3), () => this.heartbeat());
    this.maintenance.start();
    this.ears.listen();
    this.changed();
    this.options.onFirstClaim?.();
  }

  /** Graceful: stop claiming, let the running job finish and be recorded. */
  requestStop(): void {
    this.stopping = true;
    this.wake();
  }

  /** At once: kill the running jobs' process groups; the jobs go back to the queue. */
  stopNow(): void {
    this.stopping = true;
    this.stoppedNow = true;
    for (const current of this.running.values()) current.run.interrupt();
    this.hookRunner.killAll();
    this.wake();
  }

  private async register(): Promise<void> {
    await this.store.workerRegister({
      id: this.id,
      host: this.host,
      pid: process.pid,
      pidStart: processStartTime(process.pid),
    });
  }

  /** Stored settings, with this worker's own overrides (`worker start -s`). */
  private resolve(stored: Record<string, string>): Settings {
    this.hooks = hooksFrom(stored);
    const settings = resolveSettings(stored);
    if (this.options.pollIntervalMs !== undefined) {
      settings.pollIntervalMs = this.options.pollIntervalMs;
    }
    return settings;
  }

  /**
   * The jobs to run at once: --concurrency (or config worker-concurrency), fewer when this
   * process may not open enough files for that many (descriptor-limit.ts), which it says.
   */
  private slotCount(): number {
    const wanted = this.options.concurrency ?? this.settings.workerConcurrency;
    const limit = openFileLimit();
    const slots = slotsWithin(wanted, limit);
    if (slots < wanted) {
      this.alert(
        `${wanted} jobs at once need about ${wanted * DESCRIPTORS_PER_JOB + DESCRIPTORS_RESERVED} open files, but this process may open ${limit} (ulimit -n); running ${slots} at once`,
      );
    }
    return slots;
  }

  /** How many more jobs --max-jobs lets this worker claim. */
  private claimsLeft(): number {
    return (this.options.maxJobs ?? Infinity) - this.jobsClaimed;
  }

  /** Slots neither running a job nor held for a claim under way. */
  private freeSlots(): number {
    return this.concurrency - this.slots.size - this.reserved;
  }

  /**
   * Claims up to `limit` jobs (one transaction) and starts a slot for each; returns how many.
   * The slots and --max-jobs are counted before the claim is made, so that claims made at the
   * same time (this loop's, and settle-and-claims of running slots) cannot take more than either
   * allows.
   */
  private async claim(limit: number): Promise<number> {
    this.jobsClaimed += limit;
    this.reserved += limit;
    let claimed: ClaimedJob[] = [];
    try {
      claimed = await this.store.jobClaimMany({ ...this.claimParams(), limit });
      for (const taken of claimed) this.startSlot(taken);
      return claimed.length;
    } finally {
      this.reserved -= limit;
      this.jobsClaimed -= limit - claimed.length;
      if (this.claimsLeft() <= 0) this.stopping = true;
    }
  }

  /** A slot runs `first`, then every job it takes in the same step as recording the last. */
  private startSlot(first: ClaimedJob): void {
    const slot = (async () => {
      let next: ClaimedJob | null = first;
      while (next) next = await this.process(next);
    })().finally(() => {
      this.slots.delete(slot);
      this.wake();
    });
    this.slots.add(slot);
  }

  /**
   * Runs a claimed job and records its outcome; unless this worker is stopping (or --max-jobs is
   * reached), the record and the claim of the next job are one step, and that job is returned.
   */
  private async process(taken: ClaimedJob): Promise<ClaimedJob | null> {
    const { job, lease } = taken;
    // Stopped at once after this job was claimed but before it started: it goes back unrun.
    const result = this.stoppedNow ? NOT_STARTED : await this.execute(taken);

    const { next, ifCancelRequested } = settleDecision(
      { attempts: job.attempts, maxRetries: job.max_retries },
      result.outcome,
      this.settings.backoff,
    );

    const settle = {
      lease,
      run: {
        outcome: result.outcome,
        exitCode: result.exitCode,
        signal: result.signal,
        error: result.error,
      },
      next,
      ifCancelRequested,
    };
    const { settled, claimed } =
      this.stopping || this.claimsLeft() <= 0
        ? { settled: await this.settle(settle), claimed: null }
        : await this.settleAndClaim(settle);
    const line = outcomeLine(job, result, next, settled);
    // A result that cannot be recorded because the database broke is said even when quiet.
    (settled === null && this.broken ? this.alert : this.log)(line);
    // The subject is only made when a hook is set for the state (most jobs have none).
    if (settled && this.hooks[settled] !== undefined) {
      this.runHook(
        runSubject(this.options.logDir, {
          jobId: job.id,
          state: settled,
          exitCode: result.exitCode,
          attempt: lease.run,
          command: job.command,
          queue: job.queue,
        }),
      );
    }
    return claimed;
  }

  private async execute({ job, lease, env }: ClaimedJob): Promise<RunResult> {
    const timeoutSeconds = job.timeout_seconds ?? this.settings.jobTimeoutSeconds;
    const run = runCommand({
      command: job.command,
      jobId: job.id,
      queue: job.queue,
      attempt: lease.run,
      cwd: job.cwd,
      env,
      host: this.host,
      timeoutMs: timeoutSeconds === null ? null : timeoutSeconds * 1000,
      killGraceMs: this.settings.killGraceMs,
      outputLimitBytes: this.settings.outputLimitBytes,
      logDir: this.options.logDir,
      launcher: this.launcher,
      onOutput:
        this.options.onOutput && ((stream, line) => this.options.onOutput!(job.id, stream, line)),
    });
    const current: Current = { job, lease, run, cancelling: false };
    this.running.set(job.id, current);
    const early = setTimeout(
      () => void this.beat(current).catch((error: unknown) => this.dutyFailed(error)),
      FIRST_HEARTBEAT_MS,
    );
    try {
      return await run.result;
    } finally {
      clearTimeout(early);
      this.running.delete(job.id);
    }
  }

  /**
   * Records a run and claims the next job, and one for each other free slot, in one step (the
   * others start slots of their own); if that step fails, records the run alone, retrying.
   */
  private async settleAndClaim(
    settle: SettleParams,
  ): Promise<{ settled: JobState | false | null; claimed: ClaimedJob | null }> {
    // This slot's next job, and one for every slot free now (counted like claim's).
    const others = Math.max(0, this.freeSlots());
    const limit = Math.min(1 + others, this.claimsLeft());
    this.jobsClaimed += limit;
    this.reserved += others;
    let taken = 0;
    try {
      const result = await this.store.jobSettleAndClaim({
        settle,
        claim: { ...this.claimParams(), limit },
      });
      taken = (result.claimed ? 1 : 0) + result.more.length;
      for (const job of result.more) this.startSlot(job);
      return { settled: result.state ?? false, claimed: result.claimed };
    } catch (error) {
      this.storeBroke(error);
      return { settled: await this.settle(settle), claimed: null };
    } finally {
      this.reserved -= others;
      this.jobsClaimed -= limit - taken;
      if (this.claimsLeft() <= 0) this.stopping = true;
    }
  }

  private claimParams(): ClaimParams {
    return {
      workerId: this.id,
      leaseMs: this.settings.leaseTimeoutMs,
      queues: this.options.queues,
    };
  }

  /**
   * Records a run, retrying while the store is unreachable. A settle that committed but whose
   * reply was lost is refused on retry (the lease is gone), so a result is never applied twice.
   * Once the database is broken or the worker is stopping at once, it gives up after
   * GIVE_UP_ATTEMPTS and returns null: the job is rescued later, at once by a worker on this host
   * once this process is gone, from elsewhere when its lease runs out.
   */
  private async settle(params: SettleParams): Promise<JobState | false | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.store.jobSettle(params)) ?? false;
      } catch (error) {
        this.storeBroke(error);
        const givingUp = (this.broken !== null || this.stoppedNow) && attempt >= GIVE_UP_ATTEMPTS;
        this.log(
          `${params.lease.jobId}: recording the result failed (${(error as Error).message}); ${givingUp ? 'giving up' : 'retrying'}`,
        );
        if (givingUp) return null;
        await sleep(this.broken ? BROKEN_RETRY_MS : STORE_RETRY_MS);
      }
    }
  }

  /**
   * Looks at every error from the store: a broken database stops this worker for good. It says
   * so, stops claiming and kills the running job at once (its result may not be recordable and
   * its lease cannot be renewed, so it would otherwise run on beside its rerun); the job is put
   * back if the store still takes that write (see settle). True when the error was of that kind.
   */
  private storeBroke(error: unknown): boolean {
    if (!(error instanceof StoreBrokenError)) return false;
    if (this.broken) return true;
    this.broken = error;
    const jobs = [...this.running.keys()];
    const which =
      jobs.length === 1 ? ` and its job ${jobs[0]}` : ` and its jobs ${jobs.join(', ')}`;
    this.alert(
      `${error.message}; stopping this worker${jobs.length ? which : ''}, claiming nothing more`,
    );
    this.stopNow();
    return true;
  }

  /** A heartbeat or rescue sweep failed: logged and tried again next time, unless the store broke. */
  private dutyFailed(error: unknown): void {
    if (!this.storeBroke(error)) this.log(`background duty failed: ${(error as Error).message}`);
  }

  /**
   * Says the worker is alive and renews the lease of each running job, each on its own (one
   * lost lease stops only its run); then takes in stop requests and changed settings.
   */
  private async heartbeat(): Promise<void> {
    const running = [...this.running.values()];
    let beat: Heartbeat | null = null;
    for (const current of running) beat = await this.beat(current);
    beat ??= await this.beat(null);
    if (!beat.known) await this.register();
    if (beat.stopRequested && !this.stopping) {
      this.log('stop requested');
      this.requestStop();
    }
    this.settings = this.resolve(await this.store.configGetAll());
  }

  /** One heartbeat, renewing the lease of `current` (null: no job) and acting on its answer. */
  private async beat(current: Current | null): Promise<Heartbeat> {
    const beat = await this.store.workerHeartbeat({
      workerId: this.id,
      lease: current?.lease ?? null,
      leaseMs: this.settings.leaseTimeoutMs,
      jobPid: current?.run.pid ?? null,
    });
    if (current && this.isRunning(current)) {
      if (!beat.leaseHeld) {
        // Taken over while this worker was frozen or cut off: stop the run now, so it does not
        // go on beside the new one (on another host, the rescuer cannot kill it).
        this.log(`${current.job.id}: lost its lease to another worker; stopping this run`);
        current.run.interrupt();
      }
      // The fallback for a cancel whose wake-up was missed.
      if (beat.cancelRequested) this.cancelRun(current);
    }
    return beat;
  }

  private isRunning(current: Current): boolean {
    return this.running.get(current.job.id) === current;
  }

  /** Whether the worker hears the store's commits now (a busy one may not: commit-ears.ts). */
  get listening(): boolean {
    return this.ears.listening;
  }

  private changed(): void {
    // A commit concerns the claim loop only while a slot has no job (a claim under way may
    // have missed it); with every slot running, a slot that frees wakes the loop itself.
    if (this.slots.size < this.concurrency) this.wake();
    else this.ears.heardWhileBusy();
    this.checkCancelSoon();
  }

  /**
   * After a wake-up while jobs run: asks the store whether they were cancelled, at most every
   * CANCEL_CHECK_MS (a wake-up inside that time plans one look at its end).
   */
  private checkCancelSoon(): void {
    if (this.running.size === 0 || this.cancelCheck) return;
    const wait = this.cancelCheckedAt + CANCEL_CHECK_MS - performance.now();
    this.cancelCheck = setTimeout(
      () => {
        this.cancelCheck = null;
        this.cancelCheckedAt = performance.now();
        const running = [...this.running.values()];
        if (running.length === 0) return;
        this.store
          .jobListCancelRequested({ leases: running.map((current) => current.lease) })
          .then((asked) => {
            for (const current of running) {
              if (asked.includes(current.job.id) && this.isRunning(current)) {
                this.cancelRun(current);
              }
            }
          })
          .catch((error: unknown) => this.dutyFailed(error));
      },
      Math.max(0, wait),
    );
  }

  private cancelRun(current: Current): void {
    if (current.cancelling) return;
    current.cancelling = true;
    this.log(`${current.job.id}: cancelled; stopping its run`);
    current.run.cancel();
  }

  /** Runs the hook set for the subject's state, if any; never waits for it. */
  private runHook(subject: Parameters<HookRunner['run']>[1]): void {
    const command = this.hooks[subject.state];
    if (command !== undefined) this.hookRunner.run(command, subject);
  }

  /**
   * How long an idle worker sleeps: until the earliest job it could run is due (a retry's
   * backoff, a run_at; not jobs of paused queues or jobs waiting for others), so it starts on
   * time, and at most poll-interval, the safety net for a wake-up that never came. Any commit
   * (a resume, a dependency completing) wakes it sooner, and the next round asks again.
   *
   * It sleeps DUE_MARGIN_MS past the due time: Node's timers count whole milliseconds of the
   * event loop's clock, so one can fire up to a millisecond before Date.now() reaches the job's
   * run_at. The claim then finds the job not yet due, and the next question no longer counts it
   * as waiting (it is due by then): the worker slept on until some other wake-up, 0.4-1.8 s late
   * in the on-time test under load.
   */
  private async idleWait(): Promise<number> {
    const dueIn = await this.store.jobNextDueIn({ queues: this.options.queues }).catch(() => null);
    return Math.min(
      this.settings.pollIntervalMs,
      dueIn === null ? Infinity : dueIn + DUE_MARGIN_MS,
    );
  }

  private async nothingLeft(): Promise<boolean> {
    return !(await this.store.jobLeftToRun({ queues: this.options.queues }));
  }

  private wake(): void {
    this.woken = true;
    const waiter = this.wakeWaiter;
    this.wakeWaiter = null;
    waiter?.();
  }

  private waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setLongTimeout(() => {
        this.wakeWaiter = null;
        resolve();
      }, ms);
      this.wakeWaiter = () => {
        timer.clear();
        resolve();
      };
    });
  }

  /** Runs a background duty on an interval; a failed round is logged and tried again next time. */
  private every(ms: number, duty: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      duty()
        .catch((error: unknown) => this.dutyFailed(error))
        .finally(() => (busy = false));
    }, intervalMs(ms));
    timer.unref();
    this.timers.push(timer);
  }
}
