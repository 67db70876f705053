/**
 * `queuectl doctor`: checks the database (there, a database, integrity, schema version), its
 * files' owner and modes, the job output directory, and workers and jobs left behind, and says
 * what to do about each problem. Changes nothing and creates nothing. Exit 1 when a problem was
 * found (warnings alone exit 0).
 */
import { diagnose, type DoctorReport, type Severity } from '../../core/doctor.js';
import { fileFacts } from '../../store/file-facts.js';
import { inspectStore } from '../../store/inspect-store.js';
import { logDirectory } from '../../core/output-files.js';
import { hostId, isProcessAlive } from '../../worker/process-info.js';
import type { DataCommand } from '../command-spec.js';
import { CommandFailure } from '../errors.js';
import { paint, type Color } from '../output.js';

export interface DoctorOptions {
  full?: boolean;
}

export const doctorCommand: DataCommand<DoctorReport, DoctorOptions> = {
  kind: 'data',
  run: ({ opts }) => doctor(opts.db, opts),
  render: (report) => renderDoctor(report),
  after(report) {
    const problems = report.findings.filter((f) => f.severity === 'problem').length;
    if (problems > 0) {
      throw new CommandFailure(`doctor found ${problems} problem${problems === 1 ? '' : 's'}`);
    }
  },
};

export async function doctor(
  db: string | undefined,
  options: DoctorOptions,
): Promise<DoctorReport> {
  const facts = await inspectStore(db, { full: options.full });
  return diagnose(facts, {
    host: hostId(),
    uid: process.getuid?.() ?? null,
    isAlive: isProcessAlive,
    logDir: fileFacts(logDirectory(facts.location)),
  });
}

const LABELS: Record<Severity, [string, Color | undefined]> = {
  ok: ['ok', 'green'],
  warning: ['warning', 'yellow'],
  problem: ['PROBLEM', 'red'],
};

export function renderDoctor(report: DoctorReport): string {
  const width = Math.max(...report.findings.map((f) => f.check.length));
  const lines = report.findings.flatMap((finding) => {
    const [label, color] = LABELS[finding.severity];
    const head = `${paint(label.padEnd(7), color)}  ${finding.check.padEnd(width)}  ${finding.message}`;
    return finding.fix ? [head, `${' '.repeat(width + 11)}→ ${finding.fix}`] : [head];
  });
  const count = (severity: Severity) =>
    report.findings.filter((f) => f.severity === severity).length;
  const problems = count('problem');
  const warnings = count('warning');
  const summary =
    problems + warnings === 0
      ? 'all is well'
      : [
          problems ? `${problems} problem${problems === 1 ? '' : 's'}` : '',
          warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '',
        ]
          .filter(Boolean)
          .join(', ');
  const kind = report.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  return `database: ${report.location} (${kind})\n\n${lines.join('\n')}\n\n${summary}`;
}
