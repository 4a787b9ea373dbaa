// static.fileserver: serves files under `root` (relative to the config file) at `prefix`, with
// ETag/Last-Modified revalidation, Cache-Control max-age, and an SPA fallback to index.html for
// unknown non-asset paths. Mounted on its router by the http plugin's wiring hook.
import { createReadStream, realpathSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { resolveFrom } from '../support/index.ts';
import type {
  AppContext,
  ConfigMap,
  HttpHandler,
  Logger,
  Module,
  ModuleFactory,
  TypeSchema,
} from '../../engine/index.ts';
import { writeError } from './http-io.ts';

export const staticFileServerSchema: TypeSchema = {
  description: 'Serves static files, optionally as a single-page app',
  configFields: [
    { key: 'root', type: 'filepath', required: true, description: 'directory to serve, relative to the config file' },
    { key: 'prefix', type: 'string', default: '/', description: 'URL path prefix' },
    {
      key: 'spaFallback',
      type: 'boolean',
      default: false,
      aliases: ['spa'],
      description: 'serve index.html for unknown paths',
    },
    { key: 'cacheMaxAge', type: 'number', default: 0, description: 'Cache-Control max-age in seconds' },
    { key: 'router', type: 'string', description: 'router to mount on (default: the first router)' },
    { key: 'indexFile', type: 'string', default: 'index.html' },
  ],
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
};

export function normalizePrefix(prefix: unknown): string {
  let p = typeof prefix === 'string' && prefix !== '' ? prefix : '/';
  if (!p.startsWith('/')) p = '/' + p;
  if (!p.endsWith('/')) p += '/';
  return p;
}

export class StaticFileServer implements Module, HttpHandler {
  readonly type = 'static.fileserver';
  readonly prefix: string;
  readonly routerName?: string;
  private readonly root: string;
  private readonly spa: boolean;
  private readonly cacheControl: string;
  private readonly indexFile: string;
  private realRoot?: string;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const base = typeof config._config_dir === 'string' ? config._config_dir : process.cwd();
    this.root = resolveFrom(base, String(config.root ?? '.'));
    this.prefix = normalizePrefix(config.prefix);
    this.spa = config.spaFallback === true || config.spa === true;
    const maxAge = Number(config.cacheMaxAge ?? 0);
    this.cacheControl = maxAge > 0 ? `public, max-age=${Math.floor(maxAge)}` : 'no-cache';
    this.indexFile = typeof config.indexFile === 'string' && config.indexFile !== '' ? config.indexFile : 'index.html';
    this.routerName = typeof config.router === 'string' ? config.router : undefined;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'static.fileserver', module: this.name });
  }

  start(): void {
    try {
      statSync(this.root);
    } catch {
      // a build step may create it later (ui-build-and-serve); serve 404s until then
      this.logger?.warn({ root: this.root }, 'static root does not exist yet');
    }
  }

  private resolveRoot(): string | undefined {
    if (this.realRoot) return this.realRoot;
    try {
      this.realRoot = realpathSync(this.root);
      return this.realRoot;
    } catch {
      return undefined;
    }
  }

  /** The file for a URL path inside root, or undefined (never escapes root, even via symlinks). */
  private locate(relPath: string): { path: string; stat: Stats } | undefined {
    const root = this.resolveRoot();
    if (!root) return undefined;
    if (relPath.includes('\0')) return undefined;
    const segments = relPath.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.some((s) => s === '..' || s.includes('\\'))) return undefined;
    let candidate = join(root, ...segments);
    try {
      let stat = statSync(candidate);
      if (stat.isDirectory()) {
        candidate = join(candidate, this.indexFile);
        stat = statSync(candidate);
      }
      if (!stat.isFile()) return undefined;
      const real = realpathSync(candidate);
      if (real !== root && !real.startsWith(root + sep)) return undefined;
      return { path: real, stat };
    } catch {
      return undefined;
    }
  }

  handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      writeError(res, 405, `method ${req.method} not allowed`, { Allow: 'GET, HEAD' });
      return;
    }
    let rel = params.path;
    if (rel === undefined) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      rel = path.startsWith(this.prefix) ? path.slice(this.prefix.length) : path;
      try {
        rel = decodeURIComponent(rel);
      } catch {
        writeError(res, 400, 'malformed URL path');
        return;
      }
    }
    let file = this.locate(rel);
    let fallback = false;
    if (!file && this.spa && !extname(rel) && acceptsHtml(req)) {
      file = this.locate(this.indexFile);
      fallback = true;
    }
    if (!file) {
      writeError(res, 404, `not found: ${req.url}`);
      return;
    }
    const etag = `W/"${file.stat.size.toString(16)}-${Math.floor(file.stat.mtimeMs).toString(16)}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', file.stat.mtime.toUTCString());
    // the SPA shell must revalidate so new deployments are picked up
    res.setHeader('Cache-Control', fallback || file.path.endsWith(this.indexFile) ? 'no-cache' : this.cacheControl);
    res.setHeader('Content-Type', CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if ((inm && inm === etag) || (!inm && ims && Date.parse(ims) >= Math.floor(file.stat.mtimeMs / 1000) * 1000)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Length', file.stat.size);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file.path);
    stream.on('error', () => {
      if (!res.headersSent) writeError(res, 500, 'cannot read file');
      else res.destroy();
    });
    stream.pipe(res);
  }
}

function acceptsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept === undefined || accept.includes('text/html') || accept.includes('*/*');
}

export const createStaticFileServer: ModuleFactory = (spec) => new StaticFileServer(spec.name, spec.config);
