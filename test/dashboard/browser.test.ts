/**
 * The dashboard in Debian's Chromium (driven by playwright-core; no browser is downloaded),
 * against the built CLI: `queuectl dashboard`, jobs enqueued and run by real CLI processes.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliEnv } from '../helpers/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { run, start, stop } from './processes.js';

const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=1">`;
const SCREENSHOT = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));
const WAIT = { timeout: 30_000 };

let env: CliEnv;
let dashboard: ChildProcess;
let browser: Browser;
let page: Page;
let url: string;
let shots: string;

async function enqueue(...specs: object[]): Promise<void> {
  const result = await run(env, ['enqueue', JSON.stringify(specs)]);
  expect(result.code, result.stderr).toBe(0);
}

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  // CI installs Chromium (.ci/run); there its absence is a failure, not a skip.
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing; .ci/run should have installed it`);
  console.warn(
    `\n[queuectl] skipping the browser test: install Debian's chromium (apt-get install chromium)\n`,
  );
}

const row = (table: string, id: string) => page.locator(`#${table} tr[data-job-id="${id}"]`);

beforeAll(async () => {
  if (!hasChromium) return;
  const home = tempDir();
  shots = tempDir();
  env = { home, db: join(home, 'queue.db') };
  dashboard = start(env, ['dashboard', '--port', '0']);
  let printed = '';
  dashboard.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  url = await waitFor(() => /dashboard: (http:\S+)/.exec(printed)?.[1], {
    what: 'the dashboard URL',
    timeoutMs: 30_000,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  if (dashboard) await stop(dashboard);
});

describe.skipIf(!hasChromium)('dashboard in a real browser', () => {
  it('shows jobs enqueued from the CLI without a reload, with hostile text as text', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.locator('#live[data-state="live"]').waitFor(WAIT);
    await expect(page.locator('#jobs tbody').textContent()).resolves.toContain('no jobs yet');

    await enqueue(
      { id: 'greet', command: 'echo hello from greet; echo warning >&2' },
      { id: 'boom', command: 'echo doomed >&2; exit 3', max_retries: 0 },
      { id: 'later', command: HOSTILE, delay: '1h' },
    );
    await row('jobs', 'later').waitFor(WAIT);
    await row('jobs', 'boom').waitFor(WAIT);
    expect(await row('jobs', 'later').locator('td.command').textContent()).toBe(HOSTILE);
    expect(await page.locator('#jobs img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.locator('#counts [data-state="pending"] .n', { hasText: '3' }).waitFor(WAIT);
    expect(errors).toEqual([]);
  });

  it('follows a real worker: completed and dead jobs, the worker list, the charts', async () => {
    const worker = start(env, ['worker', 'start', '--count', '1']);
    try {
      // A row for the worker process (forked by the supervisor we started) with its host.
      await page
        .locator('#workers tbody tr td:nth-child(3)')
        .filter({ hasText: /^\d+$/ })
        .waitFor(WAIT);
      await row('jobs', 'greet').locator('.state.completed').waitFor(WAIT);
      await row('dlq', 'boom').waitFor(WAIT);
      await page.locator('#throughput-chart rect.completed').first().waitFor(WAIT);
      await page.locator('#duration-chart rect.bar').first().waitFor(WAIT);
    } finally {
      await stop(worker);
    }
    await page.locator('#workers tbody td.empty').waitFor(WAIT);
  });

  it('opens a job and shows its attempts and captured output', async () => {
    await row('jobs', 'greet').locator('td.command').click();
    await page.locator('#job-view:not([hidden])').waitFor(WAIT);
    await page.locator('#output', { hasText: 'hello from greet' }).waitFor(WAIT);
    await page.locator('#attempts tbody td', { hasText: 'completed' }).waitFor(WAIT);
    await page.locator('button.stream[data-stream="stderr"]').click();
    await page.locator('#output', { hasText: 'warning' }).waitFor(WAIT);
    await page.screenshot({ path: join(shots, 'job.png') });
    await page.locator('#close-job').click();
    await page.locator('#job-view').waitFor({ state: 'hidden', ...WAIT });
  });

  it('retries a dead job with its button and shows it pending, then cancels a pending job', async () => {
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
    await row('dlq', 'boom').getByRole('button', { name: 'Retry' }).click();
    await row('jobs', 'boom').locator('.state.pending').waitFor(WAIT);
    await page.locator('#dlq tbody td.empty').waitFor(WAIT);
    const shown = await run(env, ['show', 'boom', '--json']);
    expect(JSON.parse(shown.stdout).job ?? JSON.parse(shown.stdout)).toMatchObject({
      state: 'pending',
    });

    await row('jobs', 'later').getByRole('button', { name: 'Cancel' }).click();
    await row('jobs', 'later').locator('.state.cancelled').waitFor(WAIT);
    expect(JSON.parse((await run(env, ['show', 'later', '--json'])).stdout).job.state).toBe(
      'cancelled',
    );
  });

  it('pauses and resumes a queue with its button, and filters jobs by queue', async () => {
    await enqueue({ id: 'mail-1', queue: 'mail', command: 'true', delay: '1h' });
    const mail = page.locator('#queues tr[data-queue="mail"]');
    await mail.waitFor(WAIT);
    await mail.getByRole('button', { name: 'Pause' }).click();
    await mail.locator('td.queue-status.paused').waitFor(WAIT);
    const listed = JSON.parse((await run(env, ['queue', 'list', '--json'])).stdout) as {
      name: string;
      paused: boolean;
    }[];
    expect(listed.find((q) => q.name === 'mail')?.paused).toBe(true);
    await mail.getByRole('button', { name: 'Resume' }).click();
    await mail.locator('td.queue-status', { hasText: 'active' }).waitFor(WAIT);
    await page.locator('#queue-filter').selectOption('mail');
    await page.locator('#jobs tbody tr').first().waitFor(WAIT);
    await waitFor(async () => (await page.locator('#jobs tbody tr').count()) === 1);
    await row('jobs', 'mail-1').waitFor(WAIT);
    await page.locator('#queue-filter').selectOption('');
  });

  it('saved a screenshot of the page', () => {
    const png = readFileSync(join(shots, 'dashboard.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    if (process.env.UPDATE_DASHBOARD_SCREENSHOT)
      copyFileSync(join(shots, 'dashboard.png'), SCREENSHOT);
  });
});
