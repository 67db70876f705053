import { describe, expect, it } from 'vitest';
import { checkConfigValue, normalizeConfigKey, resolveSettings } from '../../src/core/config.js';

describe('config', () => {
  it('accepts max_retries and other spellings of max-retries', () => {
    expect(normalizeConfigKey('max_retries')).toBe('max-retries');
    expect(normalizeConfigKey('MAX-RETRIES')).toBe('max-retries');
  });

  it('names an unknown key and suggests a known one', () => {
    expect(() => normalizeConfigKey('backof-base')).toThrow(
      /unknown config key "backof-base" \(did you mean "backoff-base"\?\)/,
    );
  });

  it('validates values and keeps the canonical form', () => {
    expect(checkConfigValue('max-retries', '05')).toBe('5');
    expect(() => checkConfigValue('max-retries', '-1')).toThrow(/bad value "-1" for max-retries/);
    expect(() => checkConfigValue('max-retries', 'abc')).toThrow(/whole number/);
    expect(() => checkConfigValue('backoff-base', '0.5')).toThrow(/from 1 to 1000/);
    expect(() => checkConfigValue('lease-timeout', '10ms')).toThrow(/at least 1s/);
    expect(checkConfigValue('job-timeout', 'none')).toBe('none');
    expect(() => checkConfigValue('output-limit', '12 parsecs')).toThrow(/not a size/);
  });

  it('resolves stored values over defaults into settings', () => {
    expect(resolveSettings({})).toEqual({
      maxRetries: 3,
      backoff: { base: 2, maxSeconds: 3600 },
      leaseTimeoutMs: 30_000,
      jobTimeoutSeconds: null,
      killGraceMs: 5000,
      outputLimitBytes: 1024 * 1024,
      pollIntervalMs: 1000,
    });
    expect(
      resolveSettings({ 'backoff-max': '10m', 'job-timeout': '30s', 'output-limit': '2MiB' }),
    ).toMatchObject({
      backoff: { base: 2, maxSeconds: 600 },
      jobTimeoutSeconds: 30,
      outputLimitBytes: 2 * 1024 * 1024,
    });
  });
});
