import { describe, expect, it } from 'vitest';
import { table } from '../../src/cli/table.js';
import { truncate as cutToWidth, width as displayWidth } from '../../src/cli/text-width.js';

const headers = ['ID', 'STATE', 'COMMAND', 'LAST ERROR'];
const rows = [
  ['job1', 'completed', 'echo '.repeat(40).trim(), ''],
  ['job2', 'dead', 'make test', `exited with code 1: ${'x'.repeat(120)}`],
];

describe('tables', () => {
  it('cuts the free-text columns with … so no row is wider than the terminal', () => {
    const text = table(headers, rows, { shrink: [2, 3], width: 80 });
    for (const line of text.split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(80);
    expect(text).toMatch(/echo echo .*…/);
    expect(text).toMatch(/exited with code 1: x+…/);
    expect(text).toMatch(/^job2 +dead +make test +exited/m);
  });

  it('cuts nothing when piped (no width)', () => {
    const text = table(headers, rows, { shrink: [2, 3], width: null });
    expect(text).toContain('echo '.repeat(40).trim());
    expect(text).toContain('x'.repeat(120));
    expect(text).not.toContain('…');
  });

  it('measures wide characters as two cells and colour codes as none', () => {
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('\u001b[31mred\u001b[0m')).toBe(3);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(cutToWidth('日本語のコマンド', 7)).toBe('日本語…');
    const text = table(['ID', 'COMMAND'], [['a', '日本語のコマンド'.repeat(10)]], {
      shrink: [1],
      width: 30,
    });
    for (const line of text.split('\n')) expect(displayWidth(line)).toBeLessThanOrEqual(30);
  });

  it('keeps a shrunk column at least 8 cells wide on a very narrow terminal', () => {
    const text = table(headers, rows, { shrink: [2, 3], width: 20 });
    expect(text).toMatch(/make te…|make test/);
  });
});
