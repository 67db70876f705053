/**
 * Leader duty: folds the job counts' recent changes into their totals (store.jobCountsFold).
 * PostgreSQL keeps the counts behind `status`, `stats` and the dashboard as a
 * change per write, so that `status` costs the same at a million jobs as at a thousand; what a
 * count reads grows with the changes not folded yet, so they are folded every few seconds.
 * SQLite has nothing to fold.
 */
import type { Duty } from '../duty.js';

/** How often the leader folds: a busy pool appends a few rows per job run meanwhile. */
export const COUNTS_EVERY_MS = 2000;

export const counts: Duty = {
  name: 'job counts',
  scope: 'leader',
  async run(context) {
    await context.store.jobCountsFold();
    return COUNTS_EVERY_MS;
  },
};
