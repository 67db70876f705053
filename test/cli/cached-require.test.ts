import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

// The built module: Vite does not transform .cts sources (bin.cjs loads the same file).
const { cacheFileOf, compileBundle, headerOf, requireWithCodeCache } = createRequire(
  import.meta.url,
)('../../dist/cli/cached-require.cjs') as typeof import('../../src/cli/cached-require.cjs');

interface Probe {
  value: number;
  joinType: () => Promise<string>;
}

const cachedRequire = join(import.meta.dirname, '../../dist/cli/cached-require.cjs');

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

  it('the built enqueue bundle has no plain import() left', () => {
    const bundle = join(import.meta.dirname, '../../dist/cli/fast-enqueue.bundle.cjs');
    const source = readFileSync(bundle, 'utf8');
    expect(source).toContain('importBeside(__filename, "../store/postgres/');
    expect(source.match(/(?<![.\w])import\(/g)).toBeNull();
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

  it('the build leaves a cache that matches the built enqueue bundle', () => {
    const bundle = join(import.meta.dirname, '../../dist/cli/fast-enqueue.bundle.cjs');
    expect(existsSync(cacheFileOf(bundle)), 'npm run build writes the cache').toBe(true);
    const header = readFileSync(cacheFileOf(bundle)).toString('utf8').split('\n')[0]!;
    expect(JSON.parse(header)).toEqual(headerOf(bundle));
  });
});
