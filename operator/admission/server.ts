// The admission webhooks' HTTPS shell, served by the operator process (every replica):
//   POST /validate-workflowapp   AdmissionReview v1 -> decideWorkflowApp (pure, over the tenant view)
//   POST /mutate-workflowapp     AdmissionReview v1 -> tenant label defaulted from the namespace
//   GET  /healthz                200 once the caches are synced, else 503
// Parse, call the pure function, format: no network call on the request path. A body that is not an
// AdmissionReview v1 gets a 400 that says why (the API server then applies the failurePolicy).
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import * as api from '../api/constants.ts';
import type { ConfigCheck, ConfigValidator } from '../config/validator.ts';
import type { OperatorMetrics } from '../metrics.ts';
import type { TenantView } from '../tenant/view.ts';
import { decideWorkflowApp, tenantLabelPatch, type AdmissionFacts } from './decide.ts';
import { parseReview, ReviewError, reviewResponse, type ParsedReview } from './review.ts';

export const webhookPaths = { validate: '/validate-workflowapp', mutate: '/mutate-workflowapp' } as const;

/** Larger than any object the API server stores (~1.5 MiB) twice over, with room: object + oldObject. */
export const maxReviewBytes = 8 * 1024 * 1024;

export interface AdmissionServerOptions {
  view: TenantView;
  validateConfig?: ConfigValidator;
  certPem: string;
  keyPem: string;
  port?: number;
  host?: string;
  metrics?: OperatorMetrics;
  logger: Logger;
  now?: () => number;
}

export interface AdmissionServer {
  port: number;
  /** https://host:port */
  url: string;
  /** New serving certificate (rotation): new connections use it at once. */
  setCertificate(certPem: string, keyPem: string): void;
  stop(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped, so the client gets the 413 instead of a reset.
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxReviewBytes) chunks.push(c);
      else chunks.length = 0;
    });
    req.on('end', () =>
      size > maxReviewBytes ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const errorBody = (message: string) => JSON.stringify({ error: message });

export function admissionFacts(view: TenantView, now: number, config?: ConfigCheck): AdmissionFacts {
  return {
    tenantOfNamespace: (ns) => view.tenantOfNamespace(ns),
    tenant: (name) => view.tenant(name),
    usage: (tenant, exceptKey) => view.usage(tenant, exceptKey),
    license: (tenant) => view.license(tenant),
    licenseProblem: (tenant) => {
      const t = view.tenant(tenant);
      return t ? view.licenseKey(t).problem : undefined;
    },
    pluginTier: (name) => view.tiers.tier(name),
    pluginTierPending: (name) => view.tiers.pending?.(name) ?? false,
    tiersKnown: view.tiers.known,
    tiersProblem: view.tiers.problem,
    app: (ns, name) => view.app(ns, name),
    checkConfig: config ? () => config : undefined,
    now,
  };
}

export async function startAdmissionServer(opts: AdmissionServerOptions): Promise<AdmissionServer> {
  const { view, logger, metrics } = opts;
  const now = opts.now ?? Date.now;

  const validate = async (review: ParsedReview): Promise<string> => {
    if (review.resource.resource && review.resource.resource !== api.plural)
      return reviewResponse(review.uid, {
        allowed: true,
        warnings: [`${review.resource.resource} is not judged by this webhook`],
      });
    const spec = (review.object?.spec ?? undefined) as { config?: unknown } | undefined;
    const config =
      opts.validateConfig && !review.subResource && typeof spec?.config === 'string'
        ? await opts.validateConfig(spec.config, 'spec.config')
        : undefined;
    const decision = decideWorkflowApp(review, admissionFacts(view, now(), config));
    if (decision.allowed && decision.reserve && !review.dryRun)
      view.reserve(decision.reserve.tenant, `${review.namespace}/${review.name}`, decision.reserve.footprint);
    metrics?.admissionRequests.inc({ webhook: 'validate', result: decision.allowed ? 'allowed' : 'denied' });
    if (!decision.allowed)
      logger.info(
        { app: `${review.namespace}/${review.name}`, op: review.operation, why: decision.message },
        'admission denied',
      );
    return reviewResponse(review.uid, decision);
  };

  const mutate = (review: ParsedReview): string => {
    const patch = tenantLabelPatch(review, view);
    metrics?.admissionRequests.inc({ webhook: 'mutate', result: 'allowed' });
    return reviewResponse(review.uid, { allowed: true, patch });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/readyz') {
      if (view.synced) return send(res, 200, '{"status":"ok"}');
      return send(res, 503, errorBody('caches not synced yet'));
    }
    const webhook = path === webhookPaths.validate ? 'validate' : path === webhookPaths.mutate ? 'mutate' : undefined;
    if (!webhook)
      return send(res, 404, errorBody(`no webhook at ${path}: use ${webhookPaths.validate} or ${webhookPaths.mutate}`));
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return send(res, 405, errorBody(`${req.method} is not allowed: POST an AdmissionReview`));
    }
    const started = process.hrtime.bigint();
    try {
      const raw = await readBody(req);
      const review = parseReview(raw);
      if (!view.synced) {
        metrics?.admissionRequests.inc({ webhook, result: 'error' });
        return send(res, 503, errorBody('the operator is starting: its caches are not synced yet'));
      }
      send(res, 200, webhook === 'validate' ? await validate(review) : mutate(review));
    } catch (err) {
      metrics?.admissionRequests.inc({ webhook, result: 'error' });
      if (err instanceof BodyTooLarge)
        return send(res, 413, errorBody(`the AdmissionReview is larger than ${maxReviewBytes / 1024 / 1024} MiB`));
      if (err instanceof ReviewError) return send(res, err.status, errorBody(err.message));
      logger.error({ err: (err as Error).message }, 'admission failed');
      return send(res, 500, errorBody(`internal error: ${(err as Error).message}`));
    } finally {
      metrics?.admissionDuration.observe({ webhook }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  const server: Server = createServer({ cert: opts.certPem, key: opts.keyPem }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      logger.error({ err: err.message }, 'admission handler failed');
      if (!res.headersSent) send(res, 500, errorBody('internal error'));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 9443, opts.host ?? '0.0.0.0', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  logger.info({ url }, 'serving admission webhooks');
  return {
    port: addr.port,
    url,
    setCertificate(certPem, keyPem) {
      server.setSecureContext({ cert: certPem, key: keyPem });
    },
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
