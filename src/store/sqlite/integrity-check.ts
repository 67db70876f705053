/**
 * Runs `PRAGMA quick_check` (or `integrity_check`) on a fresh connection in a child process, so
 * that its time can be bounded: on a large database it reads every page, and a synchronous
 * better-sqlite3 call cannot be interrupted, so the child is killed when time runs out.
 *
 * The connection only reads (`query_only`), opened as openForInspection opens one, so the check
 * leaves no files behind.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { IntegrityOptions, IntegrityVerdict } from '../integrity.js';
import { inspectReadOnly } from './open-database.js';

/**
 * Prints {rows} (what the pragma returned), {corrupt} (the pragma itself stopped on a corrupt
 * page, which integrity_check does where quick_check lists it) or {error} (could not open).
 */
const CHILD = `
const [driver, path, pragma, max, readonly] = process.argv.slice(1);
const text = (error) => (error.code ? error.code + ': ' : '') + error.message;
let out;
try {
  const db = new (require(driver))(path, { readonly: readonly === '1', fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('query_only = ON');
    try {
      out = { rows: db.pragma(pragma + '(' + Number(max) + ')').map((row) => String(Object.values(row)[0])) };
    } catch (error) {
      if (!/^SQLITE_CORRUPT/.test(error.code)) throw error;
      out = { corrupt: text(error) };
    }
  } finally {
    db.close();
  }
} catch (error) {
  out = { error: text(error) };
}
process.stdout.write(JSON.stringify(out));
`;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

export function checkSqliteIntegrity(
  path: string,
  options: IntegrityOptions = {},
): Promise<IntegrityVerdict> {
  const check = options.full ? 'integrity_check' : 'quick_check';
  const readonly = inspectReadOnly(path) ? '1' : '0';
  const started = Date.now();
  const verdict = (result: IntegrityVerdict['result'], problems: string[]): IntegrityVerdict => ({
    check,
    result,
    problems,
    elapsedMs: Date.now() - started,
  });
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-e', CHILD, driverPath, path, check, String(options.maxProblems ?? 10), readonly],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(verdict('unreadable', [`could not start the check: ${error.message}`]));
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (timedOut) return resolve(verdict('timeout', []));
      let out: { rows?: string[]; corrupt?: string; error?: string };
      try {
        out = JSON.parse(stdout) as typeof out;
      } catch {
        return resolve(
          verdict('unreadable', [stderr.trim().split('\n').pop() || 'the check crashed']),
        );
      }
      if (out.error !== undefined) return resolve(verdict('unreadable', [out.error]));
      if (out.corrupt !== undefined) return resolve(verdict('problems', [out.corrupt]));
      // SQLite prefixes the first problem with "*** in database main ***" on its own line.
      const problems = (out.rows ?? [])
        .flatMap((row) => row.split('\n'))
        .filter((line) => line && !/^\*\*\* in database/.test(line));
      resolve(
        problems.length === 1 && problems[0] === 'ok'
          ? verdict('ok', [])
          : verdict('problems', problems),
      );
    });
  });
}
