/**
 * Where the dashboard's access token comes from, and what a token may be. The environment
 * (QUEUECTL_DASHBOARD_TOKEN) and a file (--token-file) keep it out of every process's argv;
 * --token still works but any user on the machine can read it with `ps`.
 */
import { ValidationError } from '../core/errors.js';

export const TOKEN_ENV = 'QUEUECTL_DASHBOARD_TOKEN';

const MAX_TOKEN_LENGTH = 1024;

/** Printable ASCII without spaces: it travels in a header, a cookie and a URL unchanged. */
export function checkAccessToken(token: string, from: string): string {
  if (token.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ValidationError(
      `the access token from ${from} must be 1 to ${MAX_TOKEN_LENGTH} printable ASCII characters without spaces (openssl rand -hex 16 makes one)`,
    );
  }
  return token;
}

/** Reads a token file that only its owner can read; one trailing newline (or several) is dropped. */
export async function readTokenFile(path: string): Promise<string> {
  const { readFile, stat } = await import('node:fs/promises');
  const reason = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    return code === 'EACCES' ? 'permission denied' : (code ?? String(error));
  };
  const info = await stat(path).catch((error: unknown) => {
    throw new ValidationError(`cannot read the token file ${path}: ${reason(error)}`);
  });
  if (info.isDirectory()) throw new ValidationError(`the token file ${path} is a directory`);
  if (info.mode & 0o077) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new ValidationError(
      `the token file ${path} is open to other users (mode ${mode}); run: chmod 600 ${path}`,
    );
  }
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new ValidationError(`cannot read the token file ${path}: ${reason(error)}`);
  });
  const token = text.replace(/[\r\n]+$/, '');
  if (!token) throw new ValidationError(`the token file ${path} is empty`);
  return checkAccessToken(token, `the token file ${path}`);
}

/** The token to require, or null: --token-file, else --token, else the environment. */
export async function resolveAccessToken(
  options: { token?: string; tokenFile?: string },
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new ValidationError('give the access token once: --token-file or --token, not both');
  }
  if (options.tokenFile !== undefined) return readTokenFile(options.tokenFile);
  if (options.token !== undefined) return checkAccessToken(options.token, '--token');
  const fromEnv = env[TOKEN_ENV];
  return fromEnv ? checkAccessToken(fromEnv, TOKEN_ENV) : null;
}
