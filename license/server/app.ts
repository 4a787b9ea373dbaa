// The license server's HTTP API (express 5): thin handlers over the store and the offline check.
//
//   POST /validate {key}                    -> {valid, license, error?, reason?, cached_until}  (upstream 7.2)
// POST /api/v1/usage {tenant, apps, replicas, plugins[], key?}   usage report: the tenant's license key or the admin
// token
//   GET  /healthz  /metrics
//   admin (Authorization: Bearer <admin token>):
//   GET  /api/v1/tenants          GET|PUT|DELETE /api/v1/tenants/{id}   {displayName?, suspended?}
//   GET  /api/v1/licenses[?tenant=]  POST /api/v1/licenses {token}  GET /api/v1/licenses/{id}
//   GET  /api/v1/revocations      POST /api/v1/revocations {license, reason}  DELETE /api/v1/revocations/{license}
//   GET  /api/v1/usage[?tenant=]  GET /api/v1/usage/{tenant}/history
import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { licenseInfo, type LicenseClaims } from '../claims.ts';
import { LicenseTokenError, looksLikeToken, verifyToken } from '../token.ts';
import type { LicenseStore } from './store.ts';

export interface LicenseApiOptions {
  store: LicenseStore;
  publicKey: KeyObject;
  adminToken: string;
  logger: Logger;
  /** How long clients may cache a /validate answer (cached_until); default 1 h. */
  cacheTtlMs?: number;
  now?: () => number;
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

export interface LicenseServerMetrics {
  registry: Registry;
  validations: Counter<'result'>;
  usageReports: Counter<'result'>;
  requests: Histogram<'route' | 'code'>;
}

function createMetrics(): LicenseServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    validations: new Counter({
      name: 'license_server_validations_total',
      help: 'POST /validate answers by result (valid, invalid, revoked, suspended, bad_request)',
      labelNames: ['result'],
      registers: [registry],
    }),
    usageReports: new Counter({
      name: 'license_server_usage_reports_total',
      help: 'Usage reports by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    requests: new Histogram({
      name: 'license_server_request_duration_seconds',
      help: 'HTTP request duration by route and status code',
      labelNames: ['route', 'code'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function bearer(req: Request): string | undefined {
  const h = req.get('authorization');
  const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
  return m?.[1]?.trim();
}

function body(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b))
    throw new HttpError(400, 'the request body must be a JSON object', 'send Content-Type: application/json');
  return b as Record<string, unknown>;
}

function count(b: Record<string, unknown>, key: string): number {
  const v = b[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new HttpError(400, `"${key}" must be a non-negative integer`);
  return v;
}

const idPattern = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function pathId(req: Request, what: string): string {
  const id = String(req.params.id ?? '');
  if (!idPattern.test(id)) throw new HttpError(400, `${what} "${id.slice(0, 80)}" is not a valid name`);
  return id;
}

export function createLicenseApp(opts: LicenseApiOptions): { app: express.Express; metrics: LicenseServerMetrics } {
  const { store, logger } = opts;
  const now = opts.now ?? Date.now;
  const ttl = opts.cacheTtlMs ?? 3_600_000;
  const metrics = createMetrics();
  const adminDigest = digest(opts.adminToken);
  const isAdmin = (req: Request) => {
    const token = bearer(req);
    return token !== undefined && timingSafeEqual(digest(token), adminDigest);
  };
  const requireAdmin = (req: Request, _res: Response, next: NextFunction) => {
    if (!bearer(req))
      return next(new HttpError(401, 'admin API: no bearer token', 'send Authorization: Bearer <admin token>'));
    if (!isAdmin(req)) return next(new HttpError(401, 'admin API: the bearer token is not the admin token'));
    next();
  };

  /** A key as the server judges it: signature and dates, then revocation and the tenant's standing. */
  const judge = (key: string): { result: string; claims?: LicenseClaims; error?: string } => {
    if (!looksLikeToken(key)) return { result: 'invalid', error: 'the key is not a wflic.v1 license token' };
    let claims: LicenseClaims;
    try {
      claims = verifyToken(key, opts.publicKey, now());
    } catch (err) {
      if (!(err instanceof LicenseTokenError)) throw err;
      return { result: err.problem === 'expired' ? 'expired' : 'invalid', claims: err.claims, error: err.message };
    }
    store.recordLicense(claims, key);
    const revoked = store.revocation(claims.licenseId);
    if (revoked)
      return {
        result: 'revoked',
        claims,
        error: `license ${claims.licenseId} was revoked at ${revoked.revokedAt}: ${revoked.reason}`,
      };
    const tenant = claims.tenant ? store.tenant(claims.tenant) : undefined;
    if (tenant?.suspended)
      return {
        result: 'suspended',
        claims,
        error: `tenant ${tenant.id} is suspended; contact the license administrator`,
      };
    store.markValidated(claims.licenseId);
    return { result: 'valid', claims };
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.requests.observe(
        { route, code: String(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  });
  app.use(express.json({ limit: '64kb', type: () => true }));

  app.post('/validate', (req, res) => {
    const b = body(req);
    if (typeof b.key !== 'string' || b.key.trim() === '') {
      metrics.validations.inc({ result: 'bad_request' });
      throw new HttpError(400, '"key" must be a non-empty string (the license token)');
    }
    const verdict = judge(b.key.trim());
    metrics.validations.inc({ result: verdict.result });
    res.json({
      valid: verdict.result === 'valid',
      ...(verdict.claims ? { license: licenseInfo(verdict.claims) } : {}),
      ...(verdict.error ? { error: verdict.error, reason: verdict.result } : {}),
      cached_until: new Date(now() + ttl).toISOString(),
    });
  });

  app.post('/api/v1/usage', (req, res) => {
    const b = body(req);
    const tenant = typeof b.tenant === 'string' ? b.tenant : '';
    if (!idPattern.test(tenant)) throw new HttpError(400, '"tenant" must be the tenant name');
    let licenseId: string | null = null;
    let reporter = 'admin';
    if (!isAdmin(req)) {
      // Without the admin token, the tenant's own license key proves who reports.
      const key = typeof b.key === 'string' ? b.key.trim() : '';
      if (!key) {
        metrics.usageReports.inc({ result: 'unauthenticated' });
        throw new HttpError(401, 'usage report: send the tenant\'s license "key" or the admin bearer token');
      }
      const verdict = judge(key);
      if (!verdict.claims || verdict.result === 'invalid') {
        metrics.usageReports.inc({ result: 'unauthenticated' });
        throw new HttpError(401, `usage report: ${verdict.error ?? 'the key is not valid'}`);
      }
      if (verdict.claims.tenant !== tenant) {
        metrics.usageReports.inc({ result: 'forbidden' });
        throw new HttpError(403, `usage report: the key licenses tenant "${verdict.claims.tenant}", not "${tenant}"`);
      }
      licenseId = verdict.claims.licenseId;
      reporter = 'license-key';
    }
    const plugins = b.plugins ?? [];
    if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string'))
      throw new HttpError(400, '"plugins" must be a list of plugin names');
    const report = store.putUsage({
      tenant,
      apps: count(b, 'apps'),
      replicas: count(b, 'replicas'),
      plugins: [...new Set(plugins as string[])].sort(),
      licenseId,
      reporter,
    });
    metrics.usageReports.inc({ result: 'accepted' });
    res.status(201).json(report);
  });

  app.get('/healthz', (_req, res) => {
    store.ping();
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const admin = express.Router();
  admin.use(requireAdmin);
  admin.get('/tenants', (_req, res) => {
    res.json(
      store.tenants().map((t) => ({ ...t, usage: store.usage(t.id) ?? null, licenses: store.licenses(t.id).length })),
    );
  });
  admin.get('/tenants/:id', (req, res) => {
    const id = pathId(req, 'tenant');
    const t = store.tenant(id);
    const licenses = store.licenses(id);
    if (!t && licenses.length === 0) throw new HttpError(404, `tenant "${id}" not found`);
    res.json({ ...(t ?? { id, displayName: '', suspended: false }), usage: store.usage(id) ?? null, licenses });
  });
  admin.put('/tenants/:id', (req, res) => {
    const id = pathId(req, 'tenant');
    const b = body(req);
    if (b.displayName !== undefined && typeof b.displayName !== 'string')
      throw new HttpError(400, '"displayName" must be a string');
    if (b.suspended !== undefined && typeof b.suspended !== 'boolean')
      throw new HttpError(400, '"suspended" must be true or false');
    res.json(store.putTenant(id, { displayName: b.displayName as string, suspended: b.suspended as boolean }));
  });
  admin.delete('/tenants/:id', (req, res) => {
    const id = pathId(req, 'tenant');
    if (!store.deleteTenant(id)) throw new HttpError(404, `tenant "${id}" not found`);
    res.status(204).end();
  });
  admin.get('/licenses', (req, res) => {
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    res.json(store.licenses(tenant));
  });
  admin.post('/licenses', (req, res) => {
    const b = body(req);
    if (typeof b.token !== 'string' || !b.token.trim()) throw new HttpError(400, '"token" must be the license token');
    let claims: LicenseClaims;
    try {
      claims = verifyToken(b.token.trim(), opts.publicKey, now());
    } catch (err) {
      if (err instanceof LicenseTokenError) throw new HttpError(422, err.message);
      throw err;
    }
    res.status(201).json(store.recordLicense(claims, b.token.trim()));
  });
  admin.get('/licenses/:id', (req, res) => {
    const id = String(req.params.id);
    const rec = store.license(id);
    if (!rec) throw new HttpError(404, `license "${id.slice(0, 80)}" not found`);
    res.json(rec);
  });
  admin.get('/revocations', (_req, res) => {
    res.json(store.revocations());
  });
  admin.post('/revocations', (req, res) => {
    const b = body(req);
    if (typeof b.license !== 'string' || !b.license.trim())
      throw new HttpError(400, '"license" must be the license id (lid) to revoke');
    const reason = typeof b.reason === 'string' && b.reason.trim() ? b.reason.trim() : 'revoked by the administrator';
    const rec = store.revoke(b.license.trim(), reason);
    logger.info({ license: rec.licenseId, reason }, 'license revoked');
    res.status(201).json(rec);
  });
  admin.delete('/revocations/:id', (req, res) => {
    const id = String(req.params.id);
    if (!store.unrevoke(id)) throw new HttpError(404, `license "${id.slice(0, 80)}" is not revoked`);
    res.status(204).end();
  });
  admin.get('/usage', (req, res) => {
    const tenant = typeof req.query.tenant === 'string' ? req.query.tenant : undefined;
    res.json(tenant ? [store.usage(tenant)].filter(Boolean) : store.usages());
  });
  admin.get('/usage/:id/history', (req, res) => {
    res.json(store.usageHistory(pathId(req, 'tenant')));
  });
  app.use('/api/v1', admin);

  app.use((req, _res, next) => next(new HttpError(404, `no route for ${req.method} ${req.path.slice(0, 200)}`)));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as Error & { status?: number; type?: string };
    let status = e instanceof HttpError ? e.status : (e.status ?? 500);
    let message = e.message;
    if (e.type === 'entity.parse.failed') message = 'the request body is not valid JSON';
    else if (e.type === 'entity.too.large') message = 'the request body is larger than 64 KiB';
    else if (status >= 500) {
      logger.error({ err: e.message }, 'license server error');
      status = 500;
      message = 'internal error';
    }
    res.status(status);
    if (status === 401) res.set('WWW-Authenticate', 'Bearer realm="license-admin"');
    res.json({ error: message, ...(e instanceof HttpError && e.hint ? { hint: e.hint } : {}) });
  });
  return { app, metrics };
}
