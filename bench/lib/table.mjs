/** The benchmark's one table, as Markdown (readable in a terminal and pasteable into docs). */
import { fmt } from './measure.mjs';

const HEADER = ['Figure', 'Result', 'Baseline (same run)', 'Ratio', 'Target', 'Met'];

function cell(text) {
  return String(text).replace(/\|/g, '\\|');
}

export function renderTable(rows) {
  const lines = [
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => {
      const met = row.met === null ? '-' : row.met ? 'yes' : '**no**';
      const ratio = row.ratio === null || Number.isNaN(row.ratio) ? '-' : `${fmt(row.ratio)}×`;
      return `| ${[row.figure, row.result, row.baseline, ratio, row.target, met].map(cell).join(' | ')} |`;
    }),
  ];
  return lines.join('\n');
}
