/**
 * The start-up bundles (enqueue, worker start, the worker itself): what they load when they load.
 * A CommonJS bundle requires its external packages when loaded, whether a run needs them or not.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BUNDLES = [
  'cli/fast-enqueue.bundle.cjs',
  'cli/fast-worker-start.bundle.cjs',
  'worker/worker-main.bundle.cjs',
].map((path) => join(import.meta.dirname, '../../dist', path));

describe('the start-up bundles', () => {
  it('require no package: what a run does not need stays out of them', () => {
    // Commander, the dashboard's HTTP server or an ES-module-only package would each cost
    // milliseconds of every start, or fail on an older Node 20. `bindings` is required only
    // inside better-sqlite3, when its addon is not where node-gyp builds it.
    for (const bundle of BUNDLES) {
      const required = [...readFileSync(bundle, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)]
        .map((match) => match[1]!)
        .filter((name) => !name.startsWith('.') && !name.startsWith('node:'))
        .filter((name) => !['url', 'fs', 'path', 'util', 'bindings'].includes(name));
      expect(required, bundle).toEqual([]);
    }
  });

  it("carry better-sqlite3's JavaScript, used only while the installed version is the one bundled", () => {
    const installed = (
      createRequire(import.meta.url)('better-sqlite3/package.json') as { version: string }
    ).version;
    for (const bundle of BUNDLES) {
      const source = readFileSync(bundle, 'utf8');
      expect(source, bundle).toContain('function Database(filenameGiven, options)');
      expect(source, bundle).toContain(
        `("better-sqlite3/package.json").version === ${JSON.stringify(installed)} ?`,
      );
    }
  });
});
