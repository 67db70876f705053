/**
 * Loads a CommonJS bundle with V8's code cache, made by the build (scripts/warm-code-cache.mjs)
 * after running the bundle once: the cached bytecode spares compiling the bundle and the
 * functions a run needs, about 4 ms of a `queuectl enqueue`. Node 22 does this itself
 * (module.enableCompileCache); Node 20 needs vm.Script's cachedData.
 *
 * The cache file starts with one line of JSON naming the bundle's size and modification time it
 * was made from, then V8's data. V8 checks its own version and flags but, for the source, only
 * its length: an edited bundle (another mtime) must never run stale bytecode, so the header must
 * match or the cache is ignored. Anything amiss (no cache, another Node, a Node 20 without the
 * dynamic-import loader constant) falls back to a plain require.
 *
 * Node 20 stores a script's dynamic-import callback in the code cache as an id of the process that
 * made it, so an `import()` in bytecode from the cache fails in every later process
 * (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING). The build therefore rewrites the bundle's `import()`
 * calls into importBeside (below), which runs outside the cached script.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { constants, Script } from 'node:vm';

interface CacheHeader {
  size: number;
  mtimeMs: number;
}

export function cacheFileOf(bundle: string): string {
  return `${bundle}.v8cache`;
}

export function headerOf(bundle: string): CacheHeader {
  const { size, mtimeMs } = statSync(bundle);
  return { size, mtimeMs };
}

/** The bundle compiled as Node would wrap it, not run; with `cachedData`, from that cache. */
export function scriptOf(bundle: string, cachedData?: Buffer): Script {
  const loader = constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (loader === undefined) throw new Error('this Node has no vm dynamic-import loader');
  const source = readFileSync(bundle, 'utf8');
  return new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
    importModuleDynamically: loader,
  });
}

/** The bundle's cache data, when its header matches the bundle as it is now; else null. */
export function cachedDataOf(bundle: string): Buffer | null {
  try {
    const file = readFileSync(cacheFileOf(bundle));
    const newline = file.indexOf(10);
    const header = JSON.parse(file.subarray(0, newline).toString()) as CacheHeader;
    const now = headerOf(bundle);
    if (header.size !== now.size || header.mtimeMs !== now.mtimeMs) return null;
    return file.subarray(newline + 1);
  } catch {
    return null;
  }
}

/** Compiles and runs the bundle as Node would; returns its exports and the compiled script. */
export function compileBundle(
  bundle: string,
  cachedData?: Buffer,
): { exports: unknown; script: Script } {
  const script = scriptOf(bundle, cachedData);
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} as unknown };
  wrapper.call(
    module.exports,
    module.exports,
    createRequire(bundle),
    module,
    bundle,
    dirname(bundle),
  );
  return { exports: module.exports, script };
}

/**
 * Runs the bundle from its code cache when the cache matches, and returns its exports; null,
 * having run nothing, to load it plainly.
 */
export function requireWithCodeCache(bundle: string): unknown {
  const cachedData = cachedDataOf(bundle);
  if (cachedData === null || constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER === undefined) return null;
  return compileBundle(bundle, cachedData).exports;
}

/**
 * `import(specifier)` as written in `file`: a relative specifier is resolved beside that file,
 * anything else (a package, a node: builtin) as Node resolves it from here (the same dist tree).
 */
export function importBeside(file: string, specifier: string): Promise<unknown> {
  const target = specifier.startsWith('.')
    ? pathToFileURL(resolve(dirname(file), specifier)).href
    : specifier;
  return import(target);
}
