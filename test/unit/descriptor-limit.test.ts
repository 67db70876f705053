import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openFileLimit, slotsWithin } from '../../src/worker/descriptor-limit.js';

describe('descriptor limit', () => {
  it('reads the soft limit on open files that ulimit -n shows', () => {
    const shown = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    expect(openFileLimit()).toBe(shown === 'unlimited' ? null : Number(shown));
  });

  it('keeps the slots asked for when they fit, fewer when not, and at least one', () => {
    expect(slotsWithin(16, 1024)).toBe(16);
    expect(slotsWithin(256, 1024)).toBe(240);
    expect(slotsWithin(256, 200)).toBe(34);
    expect(slotsWithin(8, 64)).toBe(1);
    expect(slotsWithin(8, null)).toBe(8);
  });
});
