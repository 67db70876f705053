/**
 * After the bundles: runs the fast enqueue bundle once, on a throw-away database in a temporary
 * directory, and writes V8's code cache of everything that run compiled beside the bundle
 * (dist/cli/fast-enqueue.bundle.cjs.v8cache; bin.cjs loads it through cached-require.cjs).
 * A failure only costs the speed-up: it is reported and the build goes on.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const dist = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const bundle = join(dist, 'fast-enqueue.bundle.cjs');
const { cacheFileOf, compileBundle, headerOf } = createRequire(import.meta.url)(
  join(dist, 'cached-require.cjs'),
);

async function main() {
  const home = process.cwd();
  const place = mkdtempSync(join(tmpdir(), 'queuectl-warm-'));
  const write = process.stdout.write;
  try {
    process.chdir(place);
    const { exports: fast, script } = compileBundle(bundle);
    const args = fast.parseFastEnqueue([
      '--db',
      join(place, 'warm.db'),
      'enqueue',
      '{"command":"true"}',
    ]);
    process.stdout.write = () => true;
    const code = await fast.runFastEnqueue(args);
    process.stdout.write = write;
    if (code !== 0) throw new Error(`the warm-up enqueue exited ${code}`);
    const header = Buffer.from(`${JSON.stringify(headerOf(bundle))}\n`);
    writeFileSync(cacheFileOf(bundle), Buffer.concat([header, script.createCachedData()]));
  } finally {
    process.stdout.write = write;
    process.chdir(home);
    rmSync(place, { recursive: true, force: true });
  }
}

main().catch((error) => {
  rmSync(cacheFileOf(bundle), { force: true });
  process.stderr.write(`warning: no code cache for the enqueue bundle (${error.message})\n`);
});
