/**
 * One place where a store's driver errors become StoreBrokenError: each store supplies a
 * classifier (sqlite/sqlite-errors.ts, postgres/postgres-errors.ts) and its methods are wrapped so
 * that callers (core, worker, CLI) recognise a broken database without knowing the driver.
 */
import { StoreBrokenError } from '../core/errors.js';

/** Returns the StoreBrokenError that `error` amounts to, or null when it is something else. */
export type BrokenClassifier = (error: unknown) => StoreBrokenError | null;

/** `error` as a StoreBrokenError when the classifier says so, otherwise unchanged. */
export function reclassify(error: unknown, classify: BrokenClassifier): unknown {
  if (error instanceof StoreBrokenError) return error;
  return classify(error) ?? error;
}

/**
 * The same store, with every method's thrown or rejected driver error passed through `classify`.
 * Methods keep their own `this`; non-function properties are untouched.
 */
export function withBrokenErrors<S extends object>(store: S, classify: BrokenClassifier): S {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrapped.get(property);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]) => {
          let result: unknown;
          try {
            result = method.apply(target, args);
          } catch (error) {
            throw reclassify(error, classify);
          }
          if (result instanceof Promise) {
            return result.catch((error: unknown) => {
              throw reclassify(error, classify);
            });
          }
          return result;
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
