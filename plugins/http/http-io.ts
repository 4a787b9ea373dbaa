// Small HTTP helpers shared by the http plugin's modules, triggers and handlers.
import { MAX_NESTING_DEPTH, nestingExceeds } from '../../security/index.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Write a JSON response unless one was already started. */
export function writeJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  const payload = JSON.stringify(body) + '\n';
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(payload);
}

export function writeError(
  res: ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
): void {
  writeJson(res, status, { error: message }, headers);
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Whether a request announces a body (Content-Length above 0, or a Transfer-Encoding). */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Read the whole request body (bounded). Bodiless requests resolve to undefined without waiting. */
export function readBody(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<Buffer | undefined> {
  if (!requestHasBody(req)) return Promise.resolve(undefined);
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

/** Path and query of a request URL without building a URL object. */
export function splitUrl(url: string | undefined): { path: string; query: string } {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q + 1) };
}

/** Decode a JSON body if it is a JSON object (upstream only exposes objects as `body`). */
export function parseJsonObject(raw: Buffer | undefined): Record<string, unknown> | undefined {
  if (!raw || raw.length === 0) return undefined;
  let i = 0;
  while (i < raw.length && (raw[i] === 0x20 || raw[i] === 0x0a || raw[i] === 0x0d || raw[i] === 0x09)) i++;
  if (raw[i] !== 0x7b) return undefined; // '{'
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v) || nestingExceeds(v)) return undefined;
    return v as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** `application/json` or a `+json` type: the client says the body is JSON. */
export function declaresJson(req: IncomingMessage): boolean {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * Why a body sent as JSON cannot be a trigger's `body`, or undefined when it can (or is not sent as
 * JSON: then it is read leniently, as upstream does). A JSON array or scalar is refused unless the
 * route hands the raw body to its pipeline; upstream would drop it without a word.
 */
export function jsonBodyProblem(
  req: IncomingMessage,
  raw: Buffer | undefined,
  rawBodyUsed = false,
): string | undefined {
  if (!raw || raw.length === 0 || !declaresJson(req)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return `request body is not valid JSON: ${(err as Error).message}`;
  }
  if (nestingExceeds(value)) return `request body nests more than ${MAX_NESTING_DEPTH} levels deep`;
  if (!rawBodyUsed && (value === null || typeof value !== 'object' || Array.isArray(value)))
    return (
      `request body must be a JSON object (got ` +
      `${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`})`
    );
  return undefined;
}

/** The client address used by rate limiting and logs. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = req.headers['x-forwarded-for'];
    const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
