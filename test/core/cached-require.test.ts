import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_OPTIONS } from '../../src/worker/worker-process.js';
import { tempDir } from '../helpers/temp-dir.js';

// The built module: Vite does not transform .cts sources (bin.cjs loads the same file).
const { cacheFileOf, compileBundle, headerOf, requireWithCodeCache } = createRequire(
  import.meta.url,
)('../../dist/core/cached-require.cjs') as typeof import('../../src/core/cached-require.cjs');

interface Probe {
  value: number;
  joinType: () => Promise<string>;
}

const cachedRequire = join(import.meta.dirname, '../../dist/core/cached-require.cjs');
const BUNDLES = [
  'cli/fast-enqueue.bundle.cjs',
  'cli/fast-worker-start.bundle.cjs',
  'worker/worker-main.bundle.cjs',
].map((path) => join(import.meta.dirname, '../../dist', path));

/** A bundle as the build writes it: its dynamic imports go through importBeside. */
function makeBundle(value: number): string {
  const bundle = join(tempDir(), 'probe.bundle.cjs');
  writeFileSync(
    bundle,
    `exports.value = ${value};\n` +
      `exports.joinType = () => require(${JSON.stringify(cachedRequire)})` +
      `.importBeside(__filename, 'node:path').then((m) => typeof m.join);\n`,
  );
  return bundle;
}

/** Loads the bundle from its cache in a fresh Node process, as bin.cjs does. */
function joinTypeInAnotherProcess(bundle: string): string {
  const script =
    `const { requireWithCodeCache } = require(${JSON.stringify(cachedRequire)});` +
    `const probe = requireWithCodeCache(${JSON.stringify(bundle)});` +
    `if (!probe) throw new Error('cache not used');` +
    `probe.joinType().then((type) => process.stdout.write(type));`;
  const file = join(tempDir(), 'load.cjs');
  writeFileSync(file, script);
  return execFileSync(process.execPath, ['--no-warnings', file], { encoding: 'utf8' });
}

/** What the build does: run the bundle once, then write header and V8's data. */
function writeCache(bundle: string): void {
  const { exports, script } = compileBundle(bundle);
  expect((exports as Probe).value).toBeTypeOf('number');
  const header = Buffer.from(`${JSON.stringify(headerOf(bundle))}\n`);
  writeFileSync(cacheFileOf(bundle), Buffer.concat([header, script.createCachedData()]));
}

describe('requireWithCodeCache', () => {
  it('loads a bundle from its code cache, dynamic imports included', async () => {
    const bundle = makeBundle(41);
    writeCache(bundle);
    const probe = requireWithCodeCache(bundle) as Probe;
    expect(probe.value).toBe(41);
    await expect(probe.joinType()).resolves.toBe('function');
  });

  it('keeps dynamic imports working in another process than the one that made the cache', () => {
    // Node 20 keeps the import callback in the cache as an id of the process that wrote it: a
    // plain import() in cached bytecode fails later, so the bundles go through importBeside.
    const bundle = makeBundle(5);
    writeCache(bundle);
    expect(joinTypeInAnotherProcess(bundle)).toBe('function');
  });

  it('the built bundles have no plain import() left', () => {
    for (const bundle of BUNDLES) {
      const source = readFileSync(bundle, 'utf8');
      expect(source, bundle).toContain('importBeside(__filename, "../store/postgres/');
      expect(source.match(/(?<![.\w])import\(/g), bundle).toBeNull();
    }
  });

  it('ignores a cache made from another version of the bundle, even one of the same length', () => {
    const bundle = makeBundle(41);
    writeCache(bundle);
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('41', '42'));
    utimesSync(bundle, new Date(), new Date(Date.now() + 5_000));
    expect(requireWithCodeCache(bundle)).toBeNull();
  });

  it('falls back when the cache is missing, unreadable or not V8 data', () => {
    const bundle = makeBundle(7);
    expect(requireWithCodeCache(bundle)).toBeNull();
    writeFileSync(cacheFileOf(bundle), 'not json at all');
    expect(requireWithCodeCache(bundle)).toBeNull();
    // A matching header over garbage: V8 rejects the data and compiles the source itself.
    const header = `${JSON.stringify(headerOf(bundle))}\n`;
    writeFileSync(cacheFileOf(bundle), Buffer.concat([Buffer.from(header), Buffer.alloc(64, 7)]));
    expect((requireWithCodeCache(bundle) as Probe).value).toBe(7);
  });

  it('the build leaves a cache that matches each built bundle', () => {
    for (const bundle of BUNDLES) {
      expect(existsSync(cacheFileOf(bundle)), `npm run build writes ${bundle}'s cache`).toBe(true);
      const header = readFileSync(cacheFileOf(bundle)).toString('utf8').split('\n')[0]!;
      expect(JSON.parse(header)).toEqual(headerOf(bundle));
    }
  });

  it("V8 accepts the worker bundle's cache in a Node started with the workers' options", () => {
    // V8 flags are part of what a code cache is checked against: a cache warmed under other flags
    // than the workers' would be rejected by every worker, silently.
    const bundle = BUNDLES.find((path) => path.includes('worker-main'))!;
    const check =
      `const c = require(${JSON.stringify(cachedRequire)});` +
      `const b = ${JSON.stringify(bundle)};` +
      `process.stdout.write(String(c.scriptOf(b, c.cachedDataOf(b)).cachedDataRejected));`;
    const run = (options: readonly string[]) =>
      execFileSync(process.execPath, [...options, '-e', check], { encoding: 'utf8' });
    expect(run(WORKER_NODE_OPTIONS)).toBe('false');
  });
});
