// The console's HTTP server (express): the built front end (console/dist, no CDN), a JSON API over
// the cluster watch, the registry and the license server, and two SSE streams (cluster changes, an
// app's log tail). Every /api route but the login ones needs a session cookie; every action also
// needs the session's CSRF token and a same-origin request.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import express, { type NextFunction, type Request, type Response } from 'express';
import { pino, type Logger } from 'pino';
import { stringify } from 'yaml';
import { engineVersion } from '../../engine/index.ts';
import { workflowSourceApi } from '../../operator/index.ts';
import type { ApiError, Overview, SessionInfo, StreamKind } from '../api-types.ts';
import { AppDetails } from './app-detail.ts';
import { ClusterView, group, kinds, version } from './cluster-view.ts';
import { tailAppLogs } from './log-tail.ts';
import { RegistryView } from './registry-view.ts';
import {
  SessionKeys,
  clearedSessionCookie,
  csrfHeaderName,
  readSessionCookie,
  sessionCookie,
  type Session,
} from './session.ts';
import { openSse } from './sse.ts';
import { sourceDetail } from './views.ts';

export interface ConsoleOptions {
  kubeConfig: KubeConfig;
  /** The login token (wfctl up prints it). At least 16 characters. */
  token: string;
  registryUrl?: string;
  licenseUrl?: string;
  /** Clone URLs shown on the overview (wfctl up passes apps.git and registry.git). */
  repos?: Array<{ name: string; url: string }>;
  port?: number;
  host?: string;
  /** The built front end; default console/dist of this package. */
  staticDir?: string;
  logger?: Logger;
}

export interface ConsoleServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const defaultStaticDir = fileURLToPath(new URL('../dist', import.meta.url));

const dnsName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export async function startConsole(opts: ConsoleOptions): Promise<ConsoleServer> {
  const logger = (opts.logger ?? pino({ level: 'info' })).child({ component: 'console' });
  const keys = new SessionKeys(opts.token);
  const view = new ClusterView(opts.kubeConfig, logger);
  const details = new AppDetails(opts.kubeConfig);
  const registry = opts.registryUrl ? new RegistryView(opts.registryUrl) : undefined;
  const custom = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const staticDir = opts.staticDir ?? defaultStaticDir;
  const host = opts.host ?? '127.0.0.1';

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);

  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok\n'));

  // --- session --------------------------------------------------------------------------------
  const sessionOf = (req: Request): Session | undefined => keys.verify(readSessionCookie(req.headers.cookie));
  const secure = () => false; // served on 127.0.0.1 over plain HTTP; behind TLS set it at the proxy

  app.get('/api/session', (req, res) => {
    const session = sessionOf(req);
    const body: SessionInfo = session
      ? { authenticated: true, csrfToken: keys.csrfToken(session) }
      : { authenticated: false };
    res.json(body);
  });
  app.post('/api/login', express.json({ limit: '4kb' }), (req, res) => {
    requireSameOrigin(req);
    if (!req.is('application/json')) throw new HttpError(415, 'send the token as JSON: {"token": "..."}');
    if (!keys.checkToken((req.body as { token?: unknown } | undefined)?.token))
      throw new HttpError(401, 'wrong token', 'use the console token wfctl up printed (also in DATA/platform.json)');
    const session = keys.issue();
    res.setHeader('set-cookie', sessionCookie(session, secure()));
    res.json({ authenticated: true, csrfToken: keys.csrfToken(session) } satisfies SessionInfo);
  });
  app.post('/api/logout', (req, res) => {
    const session = requireAction(req);
    keys.revoke(session);
    res.setHeader('set-cookie', clearedSessionCookie(secure()));
    res.json({ authenticated: false } satisfies SessionInfo);
  });

  /** Every other /api route needs a session. */
  app.use('/api', (req, _res, next) => {
    if (!sessionOf(req)) throw new HttpError(401, 'not logged in', 'log in with the console token wfctl up printed');
    next();
  });

  function requireAction(req: Request): Session {
    const session = sessionOf(req);
    if (!session) throw new HttpError(401, 'not logged in');
    requireSameOrigin(req);
    if (!keys.checkCsrf(session, req.headers[csrfHeaderName]))
      throw new HttpError(403, 'missing or wrong CSRF token', 'reload the page and try again');
    return session;
  }

  function requireSameOrigin(req: Request): void {
    const site = req.headers['sec-fetch-site'];
    if (site && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'cross-site request refused');
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && new URL(origin).host !== req.headers.host)
      throw new HttpError(403, `cross-origin request from ${origin} refused`);
    if (origin === 'null') throw new HttpError(403, 'request from an opaque origin refused');
  }

  // --- read API ---------------------------------------------------------------------------------
  app.get('/api/overview', (_req, res) => {
    const body: Overview = {
      clusterServer: opts.kubeConfig.getCurrentCluster()?.server ?? null,
      registryUrl: opts.registryUrl ?? null,
      licenseUrl: opts.licenseUrl ?? null,
      repos: opts.repos ?? [],
      version: engineVersion,
    };
    res.json(body);
  });

  for (const kind of Object.keys(kinds) as StreamKind[])
    app.get(`/api/${kind}`, (_req, res) => void res.json(view.collection(kind)));

  app.get('/api/stream', (req, res) => {
    const sse = openSse(req, res);
    const pending = new Set<StreamKind>();
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      for (const kind of pending) sse.send(kind, view.collection(kind));
      pending.clear();
    };
    // changes come in bursts (a rollout touches an app many times a second): send at most every 100 ms
    const onChange = (kind: StreamKind) => {
      pending.add(kind);
      timer ??= setTimeout(flush, 100);
    };
    for (const kind of Object.keys(kinds) as StreamKind[]) sse.send(kind, view.collection(kind));
    view.on('change', onChange);
    sse.onClose(() => {
      view.off('change', onChange);
      if (timer) clearTimeout(timer);
    });
  });

  app.get('/api/apps/:namespace/:name', async (req, res) => {
    const { namespace, name } = names(req);
    const wfa = view.get('apps', name, namespace);
    if (!wfa) throw new HttpError(404, `WorkflowApp ${namespace}/${name} not found`);
    res.json(await details.detail(wfa));
  });

  app.get('/api/apps/:namespace/:name/logs', (req, res) => {
    const { namespace, name } = names(req);
    if (!view.get('apps', name, namespace)) throw new HttpError(404, `WorkflowApp ${namespace}/${name} not found`);
    const sse = openSse(req, res);
    const tail = tailAppLogs(opts.kubeConfig, {
      namespace,
      listPods: () => details.pods(namespace, name),
      onLine: (line) => sse.send('line', line),
      onNotice: (message) => sse.send('notice', { message }),
      logger,
    });
    sse.onClose(() => tail.stop());
  });

  app.get('/api/sources/:namespace/:name', (req, res) => {
    const { namespace, name } = names(req);
    const wfs = view.get('sources', name, namespace);
    if (!wfs) throw new HttpError(404, `WorkflowSource ${namespace}/${name} not found`);
    const { managedFields: _m, ...metadata } = wfs.metadata ?? {};
    res.json(sourceDetail(wfs, stringify({ ...wfs, metadata })));
  });

  app.post('/api/sources/:namespace/:name/sync', async (req, res) => {
    requireAction(req);
    const { namespace, name } = names(req);
    if (!view.get('sources', name, namespace))
      throw new HttpError(404, `WorkflowSource ${namespace}/${name} not found`);
    const requestedAt = new Date().toISOString();
    await custom.patchNamespacedCustomObject(
      {
        group,
        version,
        plural: kinds.sources.plural,
        namespace,
        name,
        // what `wfctl sync` does: a new value of this annotation makes the controller sync now
        body: { metadata: { annotations: { [workflowSourceApi.annotations.syncRequestedAt]: requestedAt } } },
        fieldManager: 'workflow-console',
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    logger.info({ source: `${namespace}/${name}` }, 'sync requested from the console');
    res.status(202).json({ requestedAt });
  });

  app.get('/api/registry/plugins', async (req, res) => {
    if (!registry) throw new HttpError(404, 'no registry configured', 'start the console with --registry URL');
    const q = (k: string) => (typeof req.query[k] === 'string' && req.query[k] ? (req.query[k] as string) : undefined);
    const page = Number(q('page') ?? 1);
    res.json(
      await registry.search(
        q('q') ?? '',
        { tier: q('tier'), type: q('type'), category: q('category') },
        Number.isInteger(page) && page > 0 ? page : 1,
      ),
    );
  });

  app.get('/api/registry/plugins/:name', async (req, res) => {
    if (!registry) throw new HttpError(404, 'no registry configured', 'start the console with --registry URL');
    res.json(await registry.plugin(String(req.params.name)));
  });

  app.use('/api', (_req, _res, next) => next(new HttpError(404, 'no such API route')));

  // --- the front end ----------------------------------------------------------------------------
  const indexFile = join(staticDir, 'index.html');
  app.use(
    express.static(staticDir, {
      index: false,
      setHeaders: (res, path) =>
        res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
    }),
  );
  app.get('/{*path}', (_req, res) => {
    if (!existsSync(indexFile)) {
      res
        .status(503)
        .type('text/plain')
        .send(`the console's front end is not built (${indexFile} is missing): run npm run build:console\n`);
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.type('html').send(readFileSync(indexFile));
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof HttpError;
    const kubeStatus = (err as { code?: number }).code;
    const status = known ? err.status : typeof kubeStatus === 'number' && kubeStatus >= 400 ? kubeStatus : 500;
    if (!known) logger.warn({ err: (err as Error).message }, 'console request failed');
    const body: ApiError = {
      error: (err as Error).message ?? String(err),
      ...(known && err.hint ? { hint: err.hint } : {}),
    };
    if (!res.headersSent) res.status(status).json(body);
  });

  const server: Server = createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  await view.start();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  logger.info({ url }, 'console listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy(); // SSE streams never end by themselves
        });
        await view.stop();
      })()),
  };
}

function names(req: Request): { namespace: string; name: string } {
  const namespace = String(req.params.namespace);
  const name = String(req.params.name);
  if (!dnsName.test(namespace) || !dnsName.test(name))
    throw new HttpError(400, `"${namespace}/${name}" is not a valid namespace/name`);
  return { namespace, name };
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  );
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  next();
}
