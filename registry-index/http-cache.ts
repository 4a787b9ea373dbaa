// Pre-serialised JSON responses: each document is serialised, hashed (ETag) and gzipped once per
// served revision, then answered from memory. Revalidation (If-None-Match) costs no serialisation.
import { hash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

export interface CachedResponse {
  status: number;
  body: Buffer;
  /** Compressed on the first request that accepts gzip, then kept. */
  gzip?: Buffer;
  etag: string;
  cacheControl: string;
  headers?: Record<string, string>;
  /** Route pattern, for metrics on the fast path. */
  route?: string;
}

/** Documents that never change once published (version manifests): cache forever. */
export const immutableCache = 'public, max-age=31536000, immutable';
/** Lists, search and `latest` move with the branch: short-lived, revalidate with the ETag. */
const shortCache = 'public, max-age=30';
export const noCache = 'no-store';

const gzipThreshold = 1024;

type ResponseOptions = { status?: number; cacheControl?: string; headers?: Record<string, string> };

export function jsonResponse(value: unknown, opts: ResponseOptions = {}): CachedResponse {
  return serializedJsonResponse(JSON.stringify(value), opts);
}

/** A response whose JSON body is already serialised. */
export function serializedJsonResponse(json: string | Buffer, opts: ResponseOptions = {}): CachedResponse {
  const body = typeof json === 'string' ? Buffer.from(json) : json;
  return {
    status: opts.status ?? 200,
    body,
    // An ETag only has to tell versions apart; sha1 is plenty and cheaper.
    etag: `"${hash('sha1', body, 'base64url')}"`,
    cacheControl: opts.cacheControl ?? shortCache,
    ...(opts.headers ? { headers: opts.headers } : {}),
  };
}

export function sendCached(req: IncomingMessage, res: ServerResponse, r: CachedResponse): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', r.cacheControl);
  res.setHeader('Vary', 'Accept-Encoding');
  if (r.headers) for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
  if (r.status === 200) {
    res.setHeader('ETag', r.etag);
    const inm = req.headers['if-none-match'];
    if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === r.etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
  }
  res.statusCode = r.status;
  const wantsGzip = r.body.length >= gzipThreshold && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (wantsGzip) r.gzip ??= gzipSync(r.body, { level: 6 });
  const body = wantsGzip ? r.gzip! : r.body;
  if (wantsGzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * A size-bounded response map; reset whenever the served revision changes. A response is kept from
 * its second request on: one-off URLs (most distinct searches) would otherwise fill the cache, push
 * out the answers that are asked for again, and keep megabytes alive for nothing.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse & { route: string }>();
  /** Hashes of keys requested once, direct-mapped: a collision only delays or advances admission. */
  private readonly requestedOnce = new Int32Array(16_384);
  /** The snapshot generation the entries belong to. */
  generation = -1;
  constructor(private readonly limit = 10_000) {}

  peek(key: string): (CachedResponse & { route: string }) | undefined {
    return this.entries.get(key);
  }

  get(key: string, make: () => CachedResponse & { route: string }): CachedResponse {
    let r = this.entries.get(key);
    if (!r) {
      r = make();
      if (this.requestedBefore(key)) {
        // Dropping everything when full is O(1) amortised; evicting one by one from a Map is not.
        if (this.entries.size >= this.limit) this.entries.clear();
        this.entries.set(key, r);
      }
    }
    return r;
  }

  reset(generation: number): void {
    this.entries.clear();
    this.requestedOnce.fill(0);
    this.generation = generation;
  }

  private requestedBefore(key: string): boolean {
    const h = fnv1a(key);
    const slot = h & (this.requestedOnce.length - 1);
    if (this.requestedOnce[slot] === h) return true;
    this.requestedOnce[slot] = h;
    return false;
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
