/** `queuectl top`'s layout: whatever the data and the terminal size, nothing wraps or scrolls. */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/core/job.js';
import { truncate, width } from '../../src/cli/text-width.js';
import { renderTop } from '../../src/cli/top/render.js';
import type { TopSnapshot } from '../../src/cli/top/snapshot.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');

function failure(i: number, error: string): Job {
  return {
    id: `job-${i}`,
    command: 'false',
    state: i % 2 ? 'dead' : 'failed',
    priority: 0,
    attempts: 2,
    max_retries: 1,
    timeout_seconds: null,
    run_at: NOW,
    created_at: NOW - 60_000,
    updated_at: NOW - i * 1000,
    started_at: NOW - i * 1000 - 50,
    finished_at: NOW - i * 1000,
    last_error: error,
    last_exit_code: 1,
    worker_id: null,
    lease_expires_at: null,
    cancel_requested: false,
    cwd: null,
    env_names: null,
    queue: 'default',
    unique_key: null,
    waiting_for: [],
  };
}

const snapshot: TopSnapshot = {
  counts: {
    pending: 123456,
    processing: 8,
    completed: 9_999_999,
    failed: 3,
    dead: 40,
    cancelled: 0,
  },
  workers: Array.from({ length: 8 }, (_, i) => ({
    id: `w-${i}abcdef@host-with-a-long-name`,
    host: 'host-with-a-long-name',
    pid: 40000 + i,
    job: i % 3 ? `job-running-${i}` : null,
    jobStartedAt: NOW - i * 65_000,
    stale: i === 5,
    stopping: i === 6,
  })),
  failures: [
    failure(1, 'exited with code 1: 失敗しました 失敗しました 失敗しました 失敗しました'),
    failure(2, 'exited with code 2: \u001b[31mred\u001b[0m\ttab\r\ncarriage and newline\u0007bell'),
    ...Array.from({ length: 30 }, (_, i) =>
      failure(i + 3, `exited with code 1: ${'x'.repeat(300)}`),
    ),
  ],
  lastMinute: { completed: 1200, failed: 34, p50Ms: 1234 },
  oldestWaitingMs: 95_000,
  takenAt: NOW,
  clockOffsetMs: 0,
};

describe('top layout', () => {
  it('fits every size from 1x1 to 160x60: no line wider than the terminal, no more lines than rows', () => {
    for (const snap of [snapshot, null]) {
      for (let columns = 1; columns <= 160; columns += 3) {
        for (let rows = 1; rows <= 60; rows += 2) {
          for (const error of [null, 'connection refused: \u001b[2J the server went away']) {
            const lines = renderTop(snap, { columns, rows, now: NOW, location: '/db', error });
            expect(lines.length).toBeLessThanOrEqual(rows);
            for (const line of lines) {
              expect(width(line), `${columns}x${rows}: ${line}`).toBeLessThanOrEqual(columns);
              // eslint-disable-next-line no-control-regex
              expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
            }
          }
        }
      }
    }
  });

  it('shows the newest failures first and counts what does not fit', () => {
    const lines = renderTop(snapshot, { columns: 100, rows: 30, now: NOW, location: '/db' });
    expect(lines).toHaveLength(30);
    expect(lines[0]).toMatch(/^queuectl top {2}\/db +\d\d:\d\d:\d\d {2}q quits$/);
    expect(lines.join('\n')).toMatch(
      /^job-2 +failed .*: \?\[31mred\?\[0m tab carriage and newline\?bell$/m,
    );
    expect(lines.join('\n')).toMatch(/^WORKERS 8$/m);
    expect(lines.join('\n')).toMatch(/^job-1 +dead +1s ago +2\/2 +exited with code 1: 失敗/m);
    expect(lines.at(-1)).toMatch(/^… \d+ more$/);
    expect(lines.join('\n')).toMatch(/^w-1abcdef@host-with-a-long-name .* job-running-1 +1m5s$/m);
    expect(lines.join('\n')).toMatch(/job-running-5 +5m25s \(stale\)$/m);
  });

  it('cuts text by columns, counting wide characters as two', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('失敗しました', 5)).toBe('失敗…');
    expect(width('失敗')).toBe(4);
    expect(truncate('abc', 3)).toBe('abc');
  });
});
