/** Decoding stored environments: the same text gives the same frozen object, within a bound. */
import { describe, expect, it } from 'vitest';
import { decodeEnvironment, encodeEnvironment } from '../../src/store/environments.js';

describe('decodeEnvironment', () => {
  const text = encodeEnvironment({ inherit: false, vars: { PATH: '/bin', ÜNÏ: 'ü=✓' } }).vars;

  it('gives the variables back, frozen, and the same object for the same text and inherit', () => {
    const first = decodeEnvironment(0, text);
    expect(first).toEqual({ inherit: false, vars: { PATH: '/bin', ÜNÏ: 'ü=✓' } });
    expect(Object.isFrozen(first) && Object.isFrozen(first.vars)).toBe(true);
    expect(decodeEnvironment(0, text)).toBe(first);
    // PostgreSQL's boolean and SQLite's integer are one key.
    expect(decodeEnvironment(false, text)).toBe(first);
    const inherits = decodeEnvironment(1, text);
    expect(inherits.inherit).toBe(true);
    expect(decodeEnvironment(true, text)).toBe(inherits);
    expect(() => {
      (first.vars as Record<string, string>).PATH = '/tmp';
    }).toThrow(TypeError);
  });

  it('keeps a bounded number: one decoded long ago is decoded afresh, equal but new', () => {
    const old = decodeEnvironment(0, '{"OLD":"1"}');
    for (let i = 0; i < 100; i++) decodeEnvironment(0, `{"N":"${i}"}`);
    const again = decodeEnvironment(0, '{"OLD":"1"}');
    expect(again).toEqual(old);
    expect(again).not.toBe(old);
  });
});
