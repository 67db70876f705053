/**
 * A worker process's entry, forked by the supervisor: the CommonJS bundle of worker-main.js (made
 * by the build) run from V8's code cache, which spares compiling the bundle and the functions a
 * worker's start needs; without a matching cache, the bundle as it is.
 */
type CachedRequire = typeof import('../core/cached-require.cjs');

const bundle = `${__dirname}/worker-main.bundle.cjs`;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file
const { requireWithCodeCache } = require('../core/cached-require.cjs') as CachedRequire;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file
if (requireWithCodeCache(bundle) === null) require(bundle);
