/**
 * Leader duty: the cleaner. Deletes finished jobs past keep-completed, keep-dead and
 * keep-cancelled (by their finish time) with their attempts and output files, in small batches
 * (core/cleaner.ts), and gives the space back; stops between batches once it no longer leads.
 */
import { cleanFinished } from '../../../core/cleaner.js';
import { cleanEveryMs, cleanTargets } from '../../../core/retention.js';
import { formatBytes } from '../../../core/units.js';
import type { Duty } from '../duty.js';

/** The cleaner runs every minute, sooner with a short retention (core/retention.ts). */
export { cleanEveryMs as retentionEveryMs };

export const retention: Duty = {
  name: 'retention',
  scope: 'leader',
  async run(context) {
    const settings = context.settings();
    const targets = cleanTargets(settings);
    if (targets.length > 0) {
      const report = await cleanFinished(context.store, context.logDir, targets, {
        keepGoing: context.leading,
      });
      if (report.jobs > 0) {
        const states = Object.entries(report.byState)
          .filter(([, n]) => n > 0)
          .map(([state, n]) => `${n} ${state}`)
          .join(', ');
        context.log(
          `cleaner: removed ${report.jobs} finished job${report.jobs === 1 ? '' : 's'} (${states}) and ${formatBytes(report.bytes)} of output`,
        );
      }
      for (const line of report.filesLeft) context.log(`cleaner: could not remove ${line}`);
    }
    return cleanEveryMs(settings);
  },
};
