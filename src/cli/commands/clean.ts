/**
 * `queuectl clean [--state S] [--older-than D] [--dry-run]`: deletes finished jobs past their
 * retention (or older than D) with their attempts and output files, now, as the maintenance
 * leader's cleaner does on its own; --queue limits it to one queue.
 */
import type { CleanReport } from '../../core/cleaner.js';
import type { FinishedState } from '../../core/job.js';
import { formatBytes } from '../../core/units.js';
import type { QueueCommand } from '../command-spec.js';

export interface CleanOptions {
  state?: FinishedState;
  /** Milliseconds. */
  olderThan?: number;
  dryRun?: boolean;
  queue?: string;
}

export const cleanCommand: QueueCommand<CleanReport, CleanOptions> = {
  kind: 'queue',
  async run(queue, { opts }) {
    // A million jobs take a while: say how far it got, on a terminal.
    const progress = process.stderr.isTTY
      ? (n: number) => process.stderr.write(`\r${opts.dryRun ? 'counted' : 'removed'} ${n} jobs…`)
      : undefined;
    const report = await queue.clean(
      { state: opts.state, olderThanMs: opts.olderThan, dryRun: opts.dryRun, queue: opts.queue },
      progress,
    );
    if (progress && report.jobs > 0) process.stderr.write('\r\u001b[2K');
    return report;
  },
  render: (report) => renderClean(report),
};

export function renderClean(report: CleanReport): string {
  const states = Object.entries(report.byState)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const jobs = `${report.jobs} finished job${report.jobs === 1 ? '' : 's'}${states ? ` (${states})` : ''}`;
  const line = report.dryRun
    ? `would remove ${jobs} and ${formatBytes(report.bytes)} of output files (dry run: nothing was changed)`
    : `removed ${jobs} and ${formatBytes(report.bytes)} of output files`;
  return [line, ...report.filesLeft.map((left) => `could not remove ${left}`)].join('\n');
}
