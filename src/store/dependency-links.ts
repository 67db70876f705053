/**
 * What both stores decide in code when jobs are stored: which jobs a new job is linked to
 * (`after`, through jobs skipped for their unique key), whether each link is met already,
 * whether the job must be cancelled at once, and the tally of stored and skipped jobs.
 * The decisions about states come from core/transitions.ts (dependentsAfter).
 */
import { DependencyError } from '../core/errors.js';
import type { JobState } from '../core/job.js';
import { dependentsAfter } from '../core/transitions.js';
import { SKIPPED_KEPT, type InsertResult, type SkippedJob } from './job-store.js';

/** A job named in `after`, as stored. */
export interface LinkTarget {
  seq: number;
  state: JobState;
}

/** The links of one new job. */
export interface PlannedLinks {
  links: { on: string; met: boolean }[];
  /** Links not met yet. */
  waitingOn: number;
  /** A dependency that has already ended dead or cancelled: the job is cancelled at once. */
  doomedBy: { id: string; state: JobState } | null;
}

/** Stored and skipped jobs of one enqueue, and where a skipped job's id now points. */
export class InsertTally {
  stored = 0;
  skipped = 0;
  readonly skippedJobs: SkippedJob[] = [];
  /** A skipped job's id → the id of the job holding its key (for `after` later in the batch). */
  private readonly alias = new Map<string, string>();

  skip(job: SkippedJob): void {
    this.skipped++;
    if (this.skippedJobs.length < SKIPPED_KEPT) this.skippedJobs.push(job);
    this.alias.set(job.id, job.existingId);
  }

  /** The job a dependency on `id` means. */
  resolve(id: string): string {
    return this.alias.get(id) ?? id;
  }

  result(): InsertResult {
    return { stored: this.stored, skipped: this.skipped, skippedJobs: this.skippedJobs };
  }
}

/**
 * Plans the links of a new job (`id`, stored at `seq`, at `position` in the batch) to the jobs
 * of `after`: each must be stored already (before it, or earlier in the batch), else a
 * DependencyError names it ('later' when `laterInBatch` says it comes after the job).
 */
export function planLinks(
  job: { id: string; seq: number; position: number },
  after: string[],
  tally: InsertTally,
  lookup: (id: string) => LinkTarget | undefined,
  laterInBatch: (id: string) => boolean,
): PlannedLinks {
  const planned: PlannedLinks = { links: [], waitingOn: 0, doomedBy: null };
  const seen = new Set<string>();
  for (const named of after) {
    const on = tally.resolve(named);
    if (seen.has(on)) continue;
    seen.add(on);
    const target = lookup(on);
    if (!target || target.seq >= job.seq) {
      const later = target !== undefined || laterInBatch(named);
      throw new DependencyError(job.id, named, later ? 'later' : 'unknown', job.position);
    }
    const effect = dependentsAfter(target.state);
    const met = effect === 'release';
    planned.links.push({ on, met });
    if (!met) planned.waitingOn++;
    if (effect === 'cancel') planned.doomedBy ??= { id: on, state: target.state };
  }
  return planned;
}
