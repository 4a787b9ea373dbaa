// Talking to the console server: JSON reads, actions with the session's CSRF token, and the
// server-sent event streams. A 401 anywhere sends the page back to the login form.
import type { ApiError, SessionInfo } from '../../api-types.ts';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onUnauthorized: () => void = () => undefined;

export function setSession(info: SessionInfo): void {
  csrfToken = info.csrfToken;
}

export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

async function parse<T>(res: Response): Promise<T> {
  if (res.ok) return (await res.json()) as T;
  let body: Partial<ApiError> = {};
  try {
    body = (await res.json()) as ApiError;
  } catch {
    // not JSON: keep the status text
  }
  if (res.status === 401) onUnauthorized();
  throw new RequestError(res.status, body.error ?? `${res.status} ${res.statusText}`, body.hint);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal }));
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return parse<T>(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...(csrfToken ? { 'x-csrf-token': csrfToken } : {}),
      },
      body: JSON.stringify(body),
    }),
  );
}

export function describeError(err: unknown): string {
  if (err instanceof RequestError) return err.hint ? `${err.message} (${err.hint})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
