// The small HTTP vocabulary the data plugins share: JSON replies and bounded body reads.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DEFAULT_MAX_BODY_BYTES = 1 << 20;

export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = body === undefined ? '' : JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(text);
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds the maximum allowed size of ${limit} bytes`);
  }
}

/**
 * The request body, at most `limit` bytes. `preRead` is the copy an HTTP trigger may already have
 * consumed (HttpExchange.rawBody); a stream can only be read once.
 */
export async function readBody(
  req: IncomingMessage,
  limit = DEFAULT_MAX_BODY_BYTES,
  preRead?: Buffer,
): Promise<Buffer> {
  const cached = preRead ?? (req as IncomingMessage & { rawBody?: Buffer }).rawBody;
  if (cached) {
    if (cached.length > limit) throw new BodyTooLargeError(limit);
    return cached;
  }
  if (req.readableEnded) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      req.resume();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(buf);
  }
  const body = Buffer.concat(chunks);
  // Keep the bytes on the request so a handler further down the chain can read them again.
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
  return body;
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; error: string; status: number };

/** Parse a JSON request body; bad JSON and oversize bodies become a status + message, never a throw. */
export async function readJson(req: IncomingMessage, limit = DEFAULT_MAX_BODY_BYTES): Promise<JsonBody> {
  let buf: Buffer;
  try {
    buf = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return { ok: false, status: 413, error: err.message };
    throw err;
  }
  if (buf.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch (err) {
    return { ok: false, status: 400, error: `request body is not valid JSON: ${(err as Error).message}` };
  }
}

/** The request path without the query string. */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
