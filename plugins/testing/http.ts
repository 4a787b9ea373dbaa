// Real HTTP on 127.0.0.1:0 for handler modules (api.handler, auth.jwt, openapi...) before or
// without the engine's router, plus a small JSON client.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '../../engine/index.ts';
import { matchPath, parseRouteKey } from '../support/index.ts';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<TestServer> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`test server: ${err.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests index into the body they expect; it is theirs to check
  json: any;
}

export async function requestJson(
  url: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: opts.method ?? 'GET', headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Poll `check` until it returns a truthy value or `timeoutMs` passes (for async side effects). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Serve `routes` ("METHOD /path/{id}" -> handler module) like the engine's router would: the first
 * matching pattern wins and its path parameters are passed on; anything else is 404.
 */
export function serveRoutes(routes: Record<string, HttpHandler>): Promise<TestServer> {
  const table = Object.entries(routes).map(([key, handler]) => ({ ...parseRouteKey(key), handler }));
  return serve(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    for (const route of table) {
      if (route.method && route.method !== req.method) continue;
      const params = matchPath(route.path, path);
      if (params) return route.handler.handleHttp(req, res, params);
    }
    res.writeHead(404).end();
  });
}
