// The registry's HTTP API (express 5): thin handlers over the catalog of the served snapshot.
//
//   GET  /api/v1/plugins?q=&tier=&type=&category=&page=&perPage=   ranked search (array; X-Total-Count, Link)
//   GET  /api/v1/plugins/{name}                                     plugin document (versions, dist-tags)
//   GET  /api/v1/plugins/{name}/versions[?range=]                   version strings, newest first
//   GET  /api/v1/plugins/{name}/resolve?range=^1.2[&os=&arch=]      range -> exact version + sha256
//   GET  /api/v1/plugins/{name}/versions/{version}                  the version's manifest (immutable)
//   GET  /api/v1/plugins/{name}/versions/{version}/download?os=&arch=   archive bytes or a redirect, sha256 in headers
//   GET  /api/v1/sync   POST /api/v1/sync (push hook)               sync status / trigger
//   PUT/GET /api/v1/blobs/sha256/{hex}, GET /api/v1/keys            archive blobs, trusted keys (blob-api.ts)
//   GET  /v1/index.json, /v1/plugins/{name}/{manifest,versions,latest}.json (and the same at /)  upstream static layout
//   GET  /healthz /readyz /metrics
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import express, { type NextFunction, type Request, type Response } from 'express';
import semver from 'semver';
import type { Logger } from 'pino';
import type { TokenBuckets } from '../common/index.ts';
import { mountBlobApi } from './blob-api.ts';
import type { BlobStore } from './blob-store.ts';
import { RegistryCatalog, type VersionInfo } from './catalog.ts';
import { selectDownload } from './download-selection.ts';
import { GitCommitTree } from './git-tree.ts';
import {
  ResponseCache,
  immutableCache,
  jsonResponse,
  noCache,
  sendCached,
  serializedJsonResponse,
  type CachedResponse,
} from './http-cache.ts';
import type { RegistryMetrics } from './metrics.ts';
import type { PullRequestChecker, PullRequestEvent } from './pr-checker.ts';
import type { Artifact, PluginEntry } from './registry-index.ts';
import { searchPageBody } from './search-page.ts';
import type { SearchQuery } from './search.ts';
import type { RegistrySync } from './sync.ts';
import { trustedKeys } from './trusted-keys.ts';
import { pushedBranch, verifyWebhook } from './webhook.ts';

export interface RegistryApiOptions {
  sync: RegistrySync;
  logger: Logger;
  metrics: RegistryMetrics;
  /** Requests per client address (a 429 with Retry-After beyond it). */
  rateLimiter?: TokenBuckets;
  /** HMAC secret for POST /api/v1/sync; without it any POST triggers a sync. */
  webhookSecret?: string;
  /** Public base URL used in absolute links (archives stored in the repository); default: from the request. */
  publicUrl?: string;
  /** Pull-request checks for POST /api/v1/github/webhook (needs its own webhook secret). */
  github?: { checker: PullRequestChecker; webhookSecret: string };
  /** Archives uploaded by `wfctl publish` (blob:sha256: download URLs). */
  blobs?: BlobStore;
  /** Bearer token that may upload blobs. */
  publishToken?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const searchPath = '/api/v1/plugins';

/**
 * The request handler. Two fast paths skip express: GETs whose response is already cached for the
 * served revision are answered from memory (the common case for search, plugin and version
 * documents), and a search that is not is computed directly (search URLs are open-ended, and
 * express's routing and request wrapping cost more than the search itself). Everything else, and any
 * search the fast path cannot answer (a bad parameter, no index yet), goes through the express app.
 */
export function createRegistryHandler(opts: RegistryApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const cache = new ResponseCache();
  const { app, catalog } = createRegistryApp(opts, cache);
  /** Rate limit, then the response `make` gives; with metrics, as the express app keeps them. */
  const answer = (req: IncomingMessage, res: ServerResponse, route: string, make: () => CachedResponse): void => {
    const started = process.hrtime.bigint();
    const allow = !opts.rateLimiter || allowed(opts.rateLimiter, req, res);
    if (allow) sendCached(req, res, make());
    opts.metrics.observeRequest(
      route,
      req.method ?? 'GET',
      allow ? res.statusCode : 429,
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  };
  return (req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const key = cacheKey(req);
      if (cache.generation === opts.sync.current()?.generation) {
        const hit = cache.peek(key);
        if (hit) return answer(req, res, hit.route, () => hit);
      }
      const url = req.url ?? '';
      const c = url === searchPath || url.startsWith(`${searchPath}?`) ? catalog() : undefined;
      let params: SearchParams | undefined;
      try {
        params = c && searchParams(parseQuery(url.slice(searchPath.length + 1)));
      } catch {
        // a bad parameter: express answers with the error document (as it does when no index is loaded)
      }
      if (c && params) {
        try {
          return answer(req, res, searchPath, () =>
            cache.get(key, () => ({
              ...searchResponse(c, params, url, () => baseUrl(req, opts.publicUrl)),
              route: searchPath,
            })),
          );
        } catch {
          if (res.headersSent) return void res.destroy();
          // a failure here is retried by express, whose error handler logs it and answers 500
        }
      }
    }
    app(req, res);
  };
}

function cacheKey(req: IncomingMessage): string {
  return `${req.headers.host ?? ''} ${req.url ?? ''}`;
}

/** False (and a 429 sent) when the client is over its rate. */
function allowed(limiter: TokenBuckets, req: IncomingMessage, res: ServerResponse): boolean {
  const { allowed, retryAfterSeconds: wait } = limiter.take(req.socket.remoteAddress ?? 'unknown');
  if (allowed) return true;
  res.statusCode = 429;
  res.setHeader('Retry-After', String(wait));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', noCache);
  res.end(JSON.stringify({ error: 'too many requests', hint: `slow down; retry after ${wait} s` }));
  return false;
}

function createRegistryApp(
  opts: RegistryApiOptions,
  cache: ResponseCache,
): { app: express.Express; catalog: () => RegistryCatalog | undefined } {
  const { sync, metrics } = opts;
  let catalog: RegistryCatalog | undefined;
  /** The catalog of the served snapshot (undefined before the first sync); a new one resets the cache. */
  const servedCatalog = (): RegistryCatalog | undefined => {
    const snapshot = sync.current();
    if (!snapshot) return undefined;
    if (catalog?.generation !== snapshot.generation) {
      catalog = new RegistryCatalog(snapshot);
      cache.reset(snapshot.generation);
    }
    return catalog;
  };
  const currentCatalog = (): RegistryCatalog => {
    const c = servedCatalog();
    if (!c)
      throw new HttpError(
        503,
        'the registry index is not loaded yet',
        'retry in a few seconds; GET /api/v1/sync shows the sync state',
      );
    return c;
  };
  const cached = (req: Request, res: Response, make: (c: RegistryCatalog) => CachedResponse) => {
    const c = currentCatalog();
    sendCached(
      req,
      res,
      cache.get(cacheKey(req), () => ({ ...make(c), route: req.route?.path ?? req.path })),
    );
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () =>
      metrics.observeRequest(
        req.route?.path ?? 'unmatched',
        req.method,
        res.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      ),
    );
    next();
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => void res.status(sync.current() ? 200 : 503).json({ ready: !!sync.current() }));
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });
  if (opts.rateLimiter) {
    const limiter = opts.rateLimiter;
    app.use((req, res, next) => {
      if (allowed(limiter, req, res)) next();
    });
  }

  app.get('/api/v1/sync', (_req, res) => {
    res.setHeader('Cache-Control', noCache);
    res.json(sync.status());
  });
  app.post('/api/v1/sync', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = verifyWebhook(opts.webhookSecret, req.headers, body);
    if (!verdict.ok) throw new HttpError(verdict.status, verdict.error, verdict.hint);
    const event = req.get('x-github-event') ?? req.get('x-gitea-event') ?? req.get('x-forgejo-event') ?? 'push';
    if (event === 'ping') return void res.json({ ok: true, event: 'ping' });
    if (event !== 'push')
      return void res.status(202).json({ accepted: false, reason: `event "${event}" does not trigger a sync` });
    const branch = pushedBranch(body);
    if (branch && branch !== sync.status().branch)
      return void res
        .status(202)
        .json({ accepted: false, reason: `push to ${branch}, the registry follows ${sync.status().branch}` });
    const running = sync.trigger('push hook');
    if (req.query.wait === undefined) return void res.status(202).json({ accepted: true });
    res.json({ accepted: true, result: await running });
  });

  mountBlobApi(app, {
    blobs: opts.blobs,
    publishToken: opts.publishToken,
    keys: () => {
      const snapshot = sync.current();
      return snapshot && trustedKeys(snapshot.index.keys.values());
    },
  });

  app.post('/api/v1/github/webhook', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    if (!opts.github)
      throw new HttpError(
        404,
        'pull-request checks are not configured',
        'start the server with --github-token and --github-webhook-secret',
      );
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = verifyWebhook(opts.github.webhookSecret, req.headers, body);
    if (!verdict.ok) throw new HttpError(verdict.status, verdict.error, verdict.hint);
    const event = req.get('x-github-event');
    if (event === 'ping') return void res.json({ ok: true, event: 'ping' });
    if (event !== 'pull_request')
      return void res.status(202).json({ accepted: false, reason: `event "${event ?? '(none)'}" is not handled here` });
    let payload: PullRequestEvent;
    try {
      payload = JSON.parse(body.toString('utf8')) as PullRequestEvent;
    } catch {
      throw new HttpError(
        400,
        'the webhook body is not JSON',
        'configure the webhook with content type application/json',
      );
    }
    const checking = opts.github.checker.handle(payload);
    if (req.query.wait === undefined) {
      // GitHub gives up on deliveries after ~10 s: answer now, check in the background.
      checking.catch((err) =>
        opts.logger.error({ err: (err as Error).message, pr: payload.number }, 'pull request check failed'),
      );
      return void res.status(202).json({ accepted: true });
    }
    res.json(await checking);
  });

  app.get(searchPath, (req, res) => {
    const params = searchParams(req.query);
    cached(req, res, (c) => searchResponse(c, params, req.originalUrl, () => baseUrl(req, opts.publicUrl)));
  });

  app.get('/api/v1/plugins/:name', (req, res) => {
    cached(req, res, (c) => {
      const entry = plugin(c, req.params.name as string);
      const latest = c.latest(entry);
      return jsonResponse({
        name: entry.id,
        manifestName: entry.current.manifest.name,
        revision: c.revision,
        distTags: latest ? { latest: latest.version } : {},
        summary: entry.summary,
        versions: c.versions(entry).map((v) => versionSummary(req, opts.publicUrl, entry, v)),
      });
    });
  });

  app.get('/api/v1/plugins/:name/versions', (req, res) => {
    cached(req, res, (c) => {
      const entry = plugin(c, req.params.name as string);
      const range = str(req.query.range, 'range');
      let list = c.versions(entry);
      if (range) list = list.filter((v) => !v.yanked && satisfies(v.version, range));
      return jsonResponse(list.map((v) => v.version));
    });
  });

  app.get('/api/v1/plugins/:name/resolve', (req, res) => {
    cached(req, res, (c) => {
      const entry = plugin(c, req.params.name as string);
      const range = str(req.query.range, 'range') ?? '';
      if (range.trim() !== 'latest') validRange(range);
      const v = c.resolve(entry, range);
      if (!v)
        throw new HttpError(
          404,
          `no version of ${entry.id} satisfies "${range}"`,
          `available: ${
            c
              .versions(entry)
              .filter((x) => !x.yanked)
              .map((x) => x.version)
              .join(', ') || 'none'
          }`,
        );
      const downloads = v.artifacts.map((a) => artifactDoc(req, opts.publicUrl, entry, v.version, a));
      const os = str(req.query.os, 'os');
      const arch = str(req.query.arch, 'arch');
      const picked = os && arch ? pick(entry, v, os, arch) : undefined;
      return jsonResponse({
        name: entry.id,
        range,
        version: v.version,
        ...(v.yanked ? { yanked: v.yanked } : {}),
        ...(picked ? { artifact: artifactDoc(req, opts.publicUrl, entry, v.version, picked) } : {}),
        downloads,
        manifest: c.version(entry, v.version)!.manifest,
      });
    });
  });

  app.get('/api/v1/plugins/:name/versions/:version', (req, res) => {
    cached(req, res, (c) => {
      const entry = plugin(c, req.params.name as string);
      const v = version(c, entry, req.params.version as string);
      return jsonResponse(withAbsoluteUrls(req, opts.publicUrl, entry, v), {
        cacheControl: immutableCache,
        headers: v.yanked ? { 'X-Yanked': v.yanked.reason } : {},
      });
    });
  });

  app.get('/api/v1/plugins/:name/versions/:version/download', async (req, res) => {
    const c = currentCatalog();
    const entry = plugin(c, req.params.name as string);
    const v = version(c, entry, req.params.version as string);
    const os = str(req.query.os, 'os');
    const arch = str(req.query.arch, 'arch');
    let artifact: Artifact | undefined;
    if (os && arch) artifact = pick(entry, v, os, arch);
    else if (v.artifacts.length === 1) artifact = v.artifacts[0];
    else
      throw new HttpError(
        400,
        `${entry.id}@${v.version} has ${v.artifacts.length} archives; say which with ?os=&arch=`,
        `platforms: ${platforms(v) || 'none'}`,
      );
    if (!artifact)
      throw new HttpError(404, `${entry.id}@${v.version} has no archive`, 'this plugin publishes no downloads');
    if (artifact.sha256) {
      res.setHeader('X-Checksum-Sha256', artifact.sha256);
      res.setHeader('Digest', `sha-256=${Buffer.from(artifact.sha256, 'hex').toString('base64')}`);
    }
    res.setHeader('Cache-Control', immutableCache);
    if (artifact.blob) {
      const bytes = opts.blobs?.read(artifact.blob);
      if (!bytes)
        throw new HttpError(
          404,
          `the archive of ${entry.id}@${v.version} (sha256:${artifact.blob}) is not in this registry's blob store`,
          'the publisher uploads it with `wfctl publish`',
        );
      res.setHeader('Content-Type', 'application/gzip');
      res.setHeader('Content-Disposition', `attachment; filename="${entry.id}-${v.version}.tar.gz"`);
      res.setHeader('ETag', `"${artifact.blob}"`);
      res.end(bytes);
      return;
    }
    if (!artifact.stored) {
      res.redirect(302, artifact.url);
      return;
    }
    const bytes = await new GitCommitTree(sync.source, c.revision).read({
      path: artifact.stored.path,
      oid: artifact.stored.oid,
    });
    res.setHeader('Content-Type', 'application/gzip');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${entry.id}-${v.version}-${artifact.os}-${artifact.arch}.tar.gz"`,
    );
    res.setHeader('ETag', `"${artifact.sha256 ?? artifact.stored.oid}"`);
    res.end(Buffer.from(bytes));
  });

  // Upstream static layout, at / and /v1/.
  for (const prefix of ['', '/v1']) {
    app.get(`${prefix}/index.json`, (req, res) => cached(req, res, (c) => jsonResponse(c.staticIndex())));
    app.get(`${prefix}/plugins/:name/manifest.json`, (req, res) =>
      cached(req, res, (c) => {
        const entry = plugin(c, req.params.name as string);
        return jsonResponse(withAbsoluteUrls(req, opts.publicUrl, entry, c.version(entry, entry.current.version)!));
      }),
    );
    app.get(`${prefix}/plugins/:name/versions.json`, (req, res) =>
      cached(req, res, (c) => {
        const entry = plugin(c, req.params.name as string);
        const doc = c.staticVersions(entry);
        for (const v of doc.versions)
          (v as { downloads: Array<{ url: string }> }).downloads.forEach(
            (d) => (d.url = absolute(req, opts.publicUrl, entry.id, String(v.version), d as never)),
          );
        return jsonResponse(doc);
      }),
    );
    app.get(`${prefix}/plugins/:name/latest.json`, (req, res) =>
      cached(req, res, (c) => {
        const entry = plugin(c, req.params.name as string);
        const latest = c.staticVersions(entry).versions.find((v) => !v.prerelease);
        if (!latest) throw new HttpError(404, `${entry.id} has no stable version`, 'see versions.json');
        return jsonResponse(latest);
      }),
    );
  }

  app.use((req, _res, next) =>
    next(new HttpError(404, `no such endpoint: ${req.method} ${req.path}`, 'see docs/registry.md for the API')),
  );
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) return sendError(res, err);
    const e = err as { status?: number; type?: string; message?: string };
    if (e.status && e.status >= 400 && e.status < 500)
      return sendError(res, new HttpError(e.status, e.message ?? 'bad request'));
    opts.logger.error({ err }, 'request failed');
    sendError(res, new HttpError(500, 'internal error', 'the server log has details'));
  });
  return { app, catalog: servedCatalog };
}

interface SearchParams {
  query: SearchQuery;
  page: number;
  perPage: number;
}

/** The search parameters of a parsed query string; a bad one is an HttpError 400. */
function searchParams(query: Record<string, unknown>): SearchParams {
  return {
    query: {
      q: str(query.q, 'q'),
      tier: str(query.tier, 'tier'),
      type: str(query.type, 'type'),
      category: str(query.category, 'category'),
    },
    page: positiveInt(str(query.page, 'page'), 1, 'page'),
    perPage: Math.min(
      positiveInt(str(query.perPage, 'perPage') ?? str(query.per_page, 'per_page'), 20, 'perPage'),
      100,
    ),
  };
}

/** GET /api/v1/plugins: one page of ranked search results (X-Total-Count, and a Link to the next page). */
function searchResponse(
  c: RegistryCatalog,
  { query, page, perPage }: SearchParams,
  url: string,
  base: () => string,
): CachedResponse {
  const hits = c.search(query);
  const body = searchPageBody(hits.page((page - 1) * perPage, page * perPage), (id) => c.summary(id));
  const headers: Record<string, string> = { 'X-Total-Count': String(hits.total) };
  if (page * perPage < hits.total) {
    const next = new URL(url, base());
    next.searchParams.set('page', String(page + 1));
    headers.Link = `<${next.href}>; rel="next"`;
  }
  return serializedJsonResponse(body, { headers });
}

function sendError(res: Response, err: HttpError): void {
  if (res.headersSent) return void res.end();
  res
    .status(err.status)
    .setHeader('Cache-Control', noCache)
    .json({ error: err.message, ...(err.hint ? { hint: err.hint } : {}) });
}

function plugin(c: RegistryCatalog, name: string): PluginEntry {
  const entry = c.lookup(name);
  if (!entry) throw new HttpError(404, `plugin "${name}" not found`, 'search with GET /api/v1/plugins?q=');
  return entry;
}

function version(c: RegistryCatalog, entry: PluginEntry, v: string): VersionInfo {
  const found = c.version(entry, v);
  if (!found)
    throw new HttpError(
      404,
      `${entry.id} has no version ${v}`,
      `available: ${c
        .versions(entry)
        .map((x) => x.version)
        .join(', ')}`,
    );
  return found;
}

function pick(entry: PluginEntry, v: VersionInfo, os: string, arch: string): Artifact {
  const choice = selectDownload(v.manifest, entry.id, os, arch);
  if (!choice.ok) {
    throw new HttpError(
      404,
      choice.reason === 'none'
        ? `${entry.id}@${v.version} has no archive for ${os}/${arch}`
        : `${entry.id}@${v.version} has several archives for ${os}/${arch}`,
      `platforms: ${platforms(v) || 'none'}`,
    );
  }
  // artifacts are built from manifest.downloads in order
  return v.artifacts[choice.index]!;
}

function platforms(v: VersionInfo): string {
  return [...new Set(v.artifacts.map((a) => `${a.os}/${a.arch}`))].join(', ');
}

function versionSummary(req: Request, publicUrl: string | undefined, entry: PluginEntry, v: VersionInfo) {
  return {
    version: v.version,
    prerelease: v.prerelease,
    inTree: v.inTree,
    publishedAt: v.publishedAt,
    ...(v.yanked ? { yanked: v.yanked } : {}),
    ...(v.refused ? { refusedChange: true } : {}),
    downloads: v.artifacts.map((a) => artifactDoc(req, publicUrl, entry, v.version, a)),
  };
}

function artifactDoc(req: Request, publicUrl: string | undefined, entry: PluginEntry, version: string, a: Artifact) {
  return {
    os: a.os,
    arch: a.arch,
    url: absolute(req, publicUrl, entry.id, version, a),
    sha256: a.sha256 ?? null,
    ...(a.stored ? { size: a.stored.size } : {}),
    ...(a.signature ? { signature: a.signature } : {}),
  };
}

function withAbsoluteUrls(req: Request, publicUrl: string | undefined, entry: PluginEntry, v: VersionInfo) {
  if (!v.artifacts.some((a) => a.stored || a.blob)) return v.manifest;
  return {
    ...v.manifest,
    downloads: v.artifacts.map((a) => ({
      os: a.os,
      arch: a.arch,
      url: absolute(req, publicUrl, entry.id, v.version, a),
      ...(a.sha256 ? { sha256: a.sha256 } : {}),
      ...(a.signature ? { signature: a.signature } : {}),
    })),
  };
}

/** Archives stored in the repository or the blob store are served by this API; their manifest URL is not http. */
function absolute(
  req: Request,
  publicUrl: string | undefined,
  id: string,
  version: string,
  a: Pick<Artifact, 'os' | 'arch' | 'url' | 'blob'> & { stored?: unknown },
): string {
  if (a.blob) return `${baseUrl(req, publicUrl)}/api/v1/blobs/sha256/${a.blob}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(a.url)) return a.url;
  return (
    `${baseUrl(req, publicUrl)}/api/v1/plugins/${encodeURIComponent(id)}/versions/` +
    `${encodeURIComponent(version)}/download?os=${a.os}&arch=${a.arch}`
  );
}

function baseUrl(req: IncomingMessage, publicUrl: string | undefined): string {
  const protocol = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return (publicUrl ?? `${protocol}://${req.headers.host ?? 'localhost'}`).replace(/\/$/, '');
}

/** A 400 for a range semver cannot read (the same answer for /versions and /resolve). */
function validRange(range: string): void {
  if (semver.validRange(range) === null)
    throw new HttpError(400, `"${range}" is not a valid semver range`, 'use e.g. ^1.2, ~1.4.0, >=2.0.0 <3');
}

function satisfies(v: string, range: string): boolean {
  validRange(range);
  return semver.satisfies(v, range);
}

/** A query parameter, given at most once (a repeated one is a 400: which one would count?); '' is unset. */
function str(v: unknown, name: string): string | undefined {
  if (Array.isArray(v))
    throw new HttpError(400, `query parameter "${name}" is given ${v.length} times`, `give ${name} once`);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function positiveInt(v: unknown, fallback: number, name: string): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new HttpError(400, `${name} must be a positive integer, got "${String(v)}"`);
  return n;
}
