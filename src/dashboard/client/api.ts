/// <reference lib="dom" />
/** Calls to the dashboard's JSON API; POSTs carry the page's CSRF token. */

const csrfToken = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';

async function parse<T>(response: Response): Promise<T> {
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

export async function getJson<T>(path: string): Promise<T> {
  return parse<T>(await fetch(path, { headers: { accept: 'application/json' } }));
}

export async function postJson<T>(path: string): Promise<T> {
  return parse<T>(
    await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: '{}',
    }),
  );
}

export const jobPath = (id: string, rest = '') => `/api/jobs/${encodeURIComponent(id)}${rest}`;

export const queuePath = (name: string, rest = '') =>
  `/api/queues/${encodeURIComponent(name)}${rest}`;
