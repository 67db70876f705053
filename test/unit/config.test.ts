import { describe, expect, it } from 'vitest';
import {
  CONFIG_KEYS,
  CONFIG_KEY_NAMES,
  checkConfigValue,
  normalizeConfigKey,
  resolveSettings,
} from '../../src/core/config.js';
import { MAX_TIMER_MS } from '../../src/core/timers.js';
import { parseBytes, parseDuration } from '../../src/core/units.js';

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
    expect(() => checkConfigValue('lease-timeout', '10ms')).toThrow(/from 1s to 7d/);
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
      workerCount: 1,
      workerConcurrency: 1,
      keepCompletedMs: 7 * 86_400_000,
      keepDeadMs: 30 * 86_400_000,
      keepCancelledMs: 7 * 86_400_000,
      hookTimeoutMs: 10_000,
    });
    expect(resolveSettings({ 'keep-dead': 'forever', 'keep-completed': '0' })).toMatchObject({
      keepDeadMs: null,
      keepCompletedMs: 0,
    });
    expect(checkConfigValue('keep-cancelled', 'FOREVER')).toBe('forever');
    expect(() => checkConfigValue('keep-dead', 'never')).toThrow(/not a duration/);
    expect(
      resolveSettings({ 'backoff-max': '10m', 'job-timeout': '30s', 'output-limit': '2MiB' }),
    ).toMatchObject({
      backoff: { base: 2, maxSeconds: 600 },
      jobTimeoutSeconds: 30,
      outputLimitBytes: 2 * 1024 * 1024,
    });
  });

  it('gives every key an upper bound, says it in the error, and accepts the bound itself', () => {
    for (const key of CONFIG_KEY_NAMES) {
      const { largest, range } = CONFIG_KEYS[key];
      expect(checkConfigValue(key, largest), key).toBe(largest);
      const over = /^\d+$/.test(largest)
        ? String(Number(largest) + 1)
        : /B$/.test(largest)
          ? `${parseBytes(largest) + 1}`
          : `${parseDuration(largest) + 1}ms`;
      expect(() => checkConfigValue(key, over), key).toThrow(
        new RegExp(`bad value "${over}" for ${key}: must be .*${largest.replace('.', '\\.')}`),
      );
      expect(range).toContain(largest);
    }
    expect(() => checkConfigValue('output-limit', `1${'0'.repeat(300)}GiB`)).toThrow(
      /must be a size from 1KiB to 1GiB/,
    );
    expect(() => checkConfigValue('kill-grace', '30d')).toThrow(/from 0ms to 1h/);
  });

  it('resolves the largest value of every duration key to a delay a timer can hold or chains', () => {
    const largest = Object.fromEntries(CONFIG_KEY_NAMES.map((k) => [k, CONFIG_KEYS[k].largest]));
    const settings = resolveSettings(largest);
    expect(settings.jobTimeoutSeconds).toBe(365 * 86_400);
    expect(settings.jobTimeoutSeconds! * 1000).toBeGreaterThan(MAX_TIMER_MS); // chained in steps
    expect(settings.killGraceMs).toBe(3_600_000);
    expect(settings.pollIntervalMs).toBe(3_600_000);
    expect(settings.leaseTimeoutMs).toBe(7 * 86_400_000);
    expect(settings.outputLimitBytes).toBe(1024 ** 3);
  });

  it('treats a stored value it does not accept as unset, so a bad row stops no worker', () => {
    expect(resolveSettings({ 'kill-grace': '30d', 'poll-interval': 'soon' })).toMatchObject({
      killGraceMs: 5000,
      pollIntervalMs: 1000,
    });
  });

  it('reads compound durations as they are printed', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2m30s')).toBe(150_000);
    expect(parseDuration('3d4h')).toBe(3 * 86_400_000 + 4 * 3_600_000);
    expect(parseDuration('1m 30s')).toBe(90_000);
    expect(() => parseDuration('1h30')).toThrow(/not a duration/);
    expect(() => parseDuration('h')).toThrow(/not a duration/);
    expect(() => parseDuration('')).toThrow(/not a duration/);
  });
});
