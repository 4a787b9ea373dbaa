// The REST front: authentication, routing of kube-apiserver's URL layout to ObjectApi, query
// parameters, content negotiation and Status errors. Thin by design: parse, call, format.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { UserInfo } from '../admission/admission.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { apiVersionOf, type ResourceType } from '../resources/resource-type.ts';
import { decodeBody, patchTypeOf, readBody } from './body.ts';
import {
  aggregatedDiscovery,
  AGGREGATED_DISCOVERY_TYPE,
  apiGroup,
  groupList,
  legacyVersions,
  resourceList,
} from './discovery.ts';
import {
  ApiError,
  badRequest,
  internalError,
  invalid,
  methodNotAllowed,
  noSuchPath,
  notAcceptable,
  notFound,
  tooLargeResourceVersion,
  type Status,
} from './errors.ts';
import type { ApiMetrics } from './metrics.ts';
import { chooseRepresentation, parseAccept, type Representation } from './negotiation.ts';
import type { DeleteOptions, FieldValidation, ObjectApi, WriteContext } from './object-api.ts';
import { documentHash, groupVersionDocument, openApiRoot } from './openapi.ts';
import { parseApiPath, parseRequestTarget, type ApiPath } from './request-path.ts';
import { resolveContainer, streamLog, type LogLocator } from './pod-logs.ts';
import { STREAMING_SUBRESOURCES } from './pod-streams.ts';
import { readScale, scalePatch } from './scale.ts';
import { toTable, type IncludeObject } from './table.ts';
import { streamWatch, type WatchTiming } from './watch-stream.ts';

export const SERVER_VERSION = {
  major: '1',
  // the machine's kubectl dispatcher picks its binary from this minor (KUBERNETES.md 0.1)
  minor: '32',
  gitVersion: 'v1.32.4-devcluster',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

export interface ApiHandlerOptions {
  api: ObjectApi;
  catalog: ResourceCatalog;
  /**
   * Authentication, impersonation and authorization: the user the request acts as, once allowed.
   * Throws 401 (no valid credentials) or 403 (not allowed).
   */
  access(req: IncomingMessage, path: string, parsed: ApiPath | undefined, query: URLSearchParams): Promise<UserInfo>;
  /** serviceaccounts/token: answers a TokenRequest for the account. */
  tokenRequest?(namespace: string, name: string, body: unknown): Promise<object>;
  serverAddress(): string;
  logger: Logger;
  watchTiming: WatchTiming;
  metrics: ApiMetrics;
  /** Where the node agent keeps a pod container's log (pods/log); absent without a node agent. */
  podLogs?: LogLocator;
  now?: () => number;
}

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

export function createApiHandler(opts: ApiHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const now = opts.now ?? Date.now;
  const openApiCache = new Map<string, { revision: number; doc: object; hash: string }>();

  function openApiDocument(group: string, version: string) {
    const key = `${group}/${version}`;
    const cached = openApiCache.get(key);
    if (cached && cached.revision === opts.catalog.revision) return cached;
    const doc = groupVersionDocument(opts.catalog, group, version);
    if (!doc) return undefined;
    const entry = { revision: opts.catalog.revision, doc, hash: documentHash(doc) };
    openApiCache.set(key, entry);
    return entry;
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    verb: { value: string; resource: string },
  ): Promise<void> {
    const { path, query: q } = parseRequestTarget(req.url);
    const method = req.method ?? 'GET';
    if (method === 'GET' && PUBLIC_PATHS.has(path)) {
      if (path === '/version') return sendJson(res, 200, SERVER_VERSION);
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    const parsed = parseApiPath(path);
    const user = await opts.access(req, path, parsed, q);
    if (method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'Content-Type': opts.metrics.contentType });
      res.end(await opts.metrics.render());
      return;
    }
    if (path === '/' && method === 'GET')
      return sendJson(res, 200, {
        paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/metrics', '/openapi/v3', '/readyz', '/version'],
      });
    if (path.startsWith('/openapi/')) return serveOpenApi(res, path, method);

    if (!parsed) throw noSuchPath();
    const accept = parseAccept(req.headers.accept);
    if (parsed.kind !== 'resource') {
      if (method !== 'GET') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
      verb.value = 'discovery';
      return serveDiscovery(res, parsed, accept);
    }

    const type = opts.catalog.lookup(parsed.group, parsed.version, parsed.plural);
    if (!type) throw noSuchPath();
    verb.resource = type.plural;
    if (parsed.namespace !== undefined && !type.namespaced) throw noSuchPath();
    const ns = parsed.namespace;
    const representation = chooseRepresentation(accept, ['table', 'partial-metadata']);
    if (!representation)
      throw notAcceptable(
        `only the following media types are accepted: application/json, application/yaml (asked for ` +
          `${req.headers.accept})`,
      );
    const includeObject = parseIncludeObject(q.get('includeObject'));

    if (type.ephemeral && method !== 'POST')
      throw methodNotAllowed(`${type.plural} can only be created (POST): they are answered, not stored`);
    if (parsed.name === undefined) {
      if (method === 'GET') {
        const watching = parsed.watch || q.get('watch') === 'true' || q.get('watch') === '1';
        verb.value = watching ? 'watch' : 'list';
        if (watching) {
          opts.metrics.watchers.inc();
          try {
            streamWatch(res, {
              api: opts.api,
              type,
              namespace: ns,
              options: {
                resourceVersion: q.get('resourceVersion') ?? undefined,
                labelSelector: q.get('labelSelector') ?? undefined,
                fieldSelector: q.get('fieldSelector') ?? undefined,
                sendInitialEvents: q.get('sendInitialEvents') === 'true',
              },
              table: representation === 'table',
              includeObject,
              allowBookmarks: q.get('allowWatchBookmarks') === 'true',
              timeoutSeconds: q.has('timeoutSeconds')
                ? parseNonNegative(q.get('timeoutSeconds')!, 'timeoutSeconds')
                : undefined,
              timing: opts.watchTiming,
              now,
              onClose: () => opts.metrics.watchers.dec(),
            });
          } catch (e) {
            opts.metrics.watchers.dec(); // refused before it started: onClose never runs
            throw e;
          }
          return;
        }
        checkListResourceVersion(q, opts.api.currentResourceVersion());
        const limit = q.has('limit') ? parseNonNegative(q.get('limit')!, 'limit') : undefined;
        const result = opts.api.list(type, ns, {
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector: q.get('fieldSelector') ?? undefined,
          limit,
          continue: q.get('continue') ?? undefined,
        });
        const meta = {
          resourceVersion: result.resourceVersion,
          continue: result.continue,
          remainingItemCount: result.remainingItemCount,
        };
        if (representation === 'table')
          return sendJson(res, 200, toTable(type, result.items, meta, includeObject, now()));
        if (representation === 'partial-metadata') {
          return sendJson(res, 200, {
            kind: 'PartialObjectMetadataList',
            apiVersion: 'meta.k8s.io/v1',
            metadata: compact(meta),
            items: result.items.map((o) => ({
              kind: 'PartialObjectMetadata',
              apiVersion: 'meta.k8s.io/v1',
              metadata: o.metadata,
            })),
          });
        }
        // assembled from each item's stored JSON: a 10,000-item list is not re-serialised
        const head = JSON.stringify({ kind: type.listKind, apiVersion: apiVersionOf(type), metadata: compact(meta) });
        return sendText(res, 200, `${head.slice(0, -1)},"items":[${result.itemsJson().join(',')}]}`);
      }
      if (method === 'POST') {
        verb.value = 'create';
        if (type.namespaced && ns === undefined)
          throw methodNotAllowed(`create ${type.plural} through /…/namespaces/{namespace}/${type.plural}`);
        const ctx = writeContext(req, q, user);
        const body = decodeBody(req, await readBody(req));
        if (type.ephemeral) {
          if (typeof body !== 'object' || body === null || Array.isArray(body))
            throw badRequest(`the request body must be a ${type.kind} object`);
          const review = {
            ...(body as KubeObject),
            apiVersion: apiVersionOf(type),
            kind: type.kind,
            metadata: { ...(body as KubeObject).metadata },
          };
          return sendJson(res, 201, type.ephemeral(review, user, ns));
        }
        const created = await opts.api.create(type, ns ?? '', body, ctx);
        return sendObject(res, ctx.dryRun ? 200 : 201, type, created, representation, includeObject, ctx.warnings);
      }
      if (method === 'DELETE') {
        verb.value = 'deletecollection';
        const ctx = writeContext(req, q, user);
        const status = await opts.api.deleteCollection(
          type,
          ns,
          { labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined },
          await deleteOptions(req, q),
          ctx,
        );
        return sendJson(res, 200, status, ctx.warnings);
      }
      throw methodNotAllowed(`${method} is not supported on a collection of ${type.plural}`);
    }

    if (type.namespaced && ns === undefined) throw noSuchPath();
    const name = parsed.name;
    const sub = parsed.subresource ?? '';
    if (sub && !supportsSubresource(type, sub))
      throw notFound({ group: type.group, resource: `${type.plural}/${sub}`, name: undefined });
    const namespace = ns ?? '';

    if (sub === 'scale') return handleScale(req, res, type, namespace, name, q, user, method, verb);
    if (sub === 'log') return servePodLog(res, type, namespace, name, q, method, verb);
    if (STREAMING_SUBRESOURCES.has(sub)) throw badRequest('Upgrade request required');
    if (sub === 'token') {
      if (method !== 'POST' || !opts.tokenRequest) throw methodNotAllowed('serviceaccounts/token supports POST only');
      verb.value = 'create';
      return sendJson(res, 201, await opts.tokenRequest(namespace, name, decodeBody(req, await readBody(req))));
    }
    if (method === 'GET') {
      verb.value = 'get';
      const obj = opts.api.get(type, namespace, name);
      return sendObject(res, 200, type, obj, representation, includeObject, []);
    }
    if (method === 'PUT') {
      verb.value = 'update';
      const ctx = writeContext(req, q, user);
      const body = decodeBody(req, await readBody(req));
      const updated = await opts.api.update(type, namespace, name, body, ctx, sub === 'finalize' ? 'finalize' : sub);
      return sendObject(res, 200, type, updated, representation, includeObject, ctx.warnings);
    }
    if (method === 'PATCH') {
      verb.value = 'patch';
      const patchType = patchTypeOf(req);
      const ctx = writeContext(req, q, user, patchType === 'apply');
      const raw = await readBody(req);
      const patch = decodeBody(req, raw, patchType === 'apply');
      if (patch === undefined) throw badRequest('the patch body is empty; send a patch document');
      const existed = patchType === 'apply' ? opts.api.tryGet(type, namespace, name) !== undefined : true;
      const force = parseBool(q.get('force'), 'force');
      if (force && patchType !== 'apply')
        throw badRequest('force may only be specified with apply patches (Content-Type: application/apply-patch+yaml)');
      const patched = await opts.api.patch(type, namespace, name, patchType, patch, ctx, { subresource: sub, force });
      return sendObject(
        res,
        existed || ctx.dryRun ? 200 : 201,
        type,
        patched,
        representation,
        includeObject,
        ctx.warnings,
      );
    }
    if (method === 'DELETE') {
      verb.value = 'delete';
      if (sub) throw methodNotAllowed(`DELETE is not supported on ${type.plural}/${sub}`);
      const ctx = writeContext(req, q, user);
      const options = await deleteOptions(req, q);
      if (options.dryRun?.includes('All')) ctx.dryRun = true;
      const { object } = await opts.api.delete(type, namespace, name, options, ctx);
      if ((object as Status).kind === 'Status') return sendJson(res, 200, object, ctx.warnings);
      return sendObject(
        res,
        200,
        type,
        object as KubeObject,
        representation === 'table' ? 'object' : representation,
        includeObject,
        ctx.warnings,
      );
    }
    throw methodNotAllowed(`${method} is not supported on ${type.plural}`);
  }

  async function handleScale(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    namespace: string,
    name: string,
    q: URLSearchParams,
    user: UserInfo,
    method: string,
    verb: { value: string },
  ) {
    if (method === 'GET') {
      verb.value = 'get';
      return sendJson(res, 200, readScale(type, opts.api.get(type, namespace, name)));
    }
    if (method !== 'PUT' && method !== 'PATCH')
      throw methodNotAllowed(`${method} is not supported on ${type.plural}/scale`);
    verb.value = method === 'PUT' ? 'update' : 'patch';
    const ctx = writeContext(req, q, user);
    const current = opts.api.get(type, namespace, name);
    const body = decodeBody(req, await readBody(req), method === 'PATCH' && patchTypeOf(req) === 'apply');
    const patch = scalePatch(type, current, method === 'PUT' ? 'replace' : patchTypeOf(req), body);
    const updated = await opts.api.patch(type, namespace, name, 'merge', patch, ctx);
    return sendJson(res, 200, readScale(type, updated), ctx.warnings);
  }

  function servePodLog(
    res: ServerResponse,
    type: ResourceType,
    namespace: string,
    name: string,
    q: URLSearchParams,
    method: string,
    verb: { value: string },
  ) {
    if (method !== 'GET') throw methodNotAllowed('pods/log supports GET only');
    verb.value = 'get';
    const pod = opts.api.get(type, namespace, name);
    const container = resolveContainer(pod, q.get('container') ?? undefined);
    const previous = parseBool(q.get('previous'), 'previous');
    const file = opts.podLogs?.(pod, container, previous);
    if (!file) {
      if (previous) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
      const waiting = (
        (
          pod.status as
            | { containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }> }
            | undefined
        )?.containerStatuses ?? []
      ).find((s) => s.name === container)?.state?.waiting?.reason;
      throw badRequest(
        `container "${container}" in pod "${name}" is waiting to start: ` +
          (waiting ??
            (opts.podLogs ? 'ContainerCreating' : 'devcluster runs without a node agent, so no container ever ran')),
      );
    }
    const tail = q.get('tailLines');
    const limit = q.get('limitBytes');
    const sinceSeconds = q.get('sinceSeconds');
    const sinceTime = q.get('sinceTime');
    if (sinceSeconds !== null && sinceTime !== null)
      throw badRequest('at most one of sinceTime or sinceSeconds may be specified');
    let since: number | undefined;
    if (sinceSeconds !== null) since = now() - parseNonNegative(sinceSeconds, 'sinceSeconds') * 1000;
    if (sinceTime !== null) {
      since = Date.parse(sinceTime);
      if (Number.isNaN(since))
        throw badRequest(`sinceTime: Invalid value: ${JSON.stringify(sinceTime)}: must be RFC 3339`);
    }
    streamLog(res, file, {
      follow: parseBool(q.get('follow'), 'follow'),
      tailLines: tail === null ? undefined : parseNonNegative(tail, 'tailLines'),
      limitBytes: limit === null ? undefined : parseNonNegative(limit, 'limitBytes'),
      since,
      timestamps: parseBool(q.get('timestamps'), 'timestamps'),
      finished: () =>
        opts.api.tryGet(type, namespace, name)?.metadata.uid !== pod.metadata.uid ||
        opts.podLogs?.(pod, container, false) !== file,
    });
  }

  function serveDiscovery(
    res: ServerResponse,
    parsed: Exclude<ReturnType<typeof parseApiPath>, undefined>,
    accept: ReturnType<typeof parseAccept>,
  ) {
    const rep: Representation | undefined = chooseRepresentation(accept, ['aggregated-discovery']);
    if (!rep) throw notAcceptable('only application/json discovery documents are served');
    if (parsed.kind === 'legacy-versions' || parsed.kind === 'group-list') {
      if (rep === 'aggregated-discovery') {
        return sendJson(
          res,
          200,
          aggregatedDiscovery(opts.catalog, parsed.kind === 'legacy-versions'),
          [],
          AGGREGATED_DISCOVERY_TYPE,
        );
      }
      return sendJson(
        res,
        200,
        parsed.kind === 'legacy-versions' ? legacyVersions(opts.serverAddress()) : groupList(opts.catalog),
      );
    }
    if (parsed.kind === 'group') {
      const doc = apiGroup(opts.catalog, parsed.group);
      if (!doc) throw noSuchPath();
      return sendJson(res, 200, doc);
    }
    if (parsed.kind === 'resource-list') {
      const doc = resourceList(opts.catalog, parsed.group, parsed.version);
      if (!doc) throw noSuchPath();
      return sendJson(res, 200, doc);
    }
  }

  function serveOpenApi(res: ServerResponse, path: string, method: string) {
    if (method !== 'GET') throw methodNotAllowed('the OpenAPI documents are read-only');
    if (path === '/openapi/v3') {
      return sendJson(
        res,
        200,
        openApiRoot(opts.catalog, (g, v) => openApiDocument(g, v)!.hash),
      );
    }
    const m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (!m) throw noSuchPath();
    const entry = m[1] ? openApiDocument('', m[1]) : openApiDocument(m[2]!, m[3]!);
    if (!entry) throw noSuchPath();
    res.setHeader('Cache-Control', 'public, immutable');
    res.setHeader('Etag', `"${entry.hash}"`);
    return sendJson(res, 200, entry.doc);
  }

  function writeContext(req: IncomingMessage, q: URLSearchParams, user: UserInfo, apply = false): WriteContext {
    const dryRun = q.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All')) {
      throw new ApiError(
        400,
        'BadRequest',
        `dryRun: Unsupported value: ${JSON.stringify(dryRun.find((d) => d !== 'All'))}: supported values: "All"`,
      );
    }
    const validation = q.get('fieldValidation') ?? 'Warn';
    if (!['Strict', 'Warn', 'Ignore'].includes(validation)) {
      throw badRequest(
        `fieldValidation: Unsupported value: ${JSON.stringify(validation)}: supported values: "Ignore", ` +
          `"Strict", "Warn"`,
      );
    }
    let manager = q.get('fieldManager') ?? undefined;
    if (manager !== undefined && manager.length > 128)
      throw badRequest('fieldManager: Too long: may not be more than 128 bytes');
    if (manager === undefined && !apply)
      manager =
        String(req.headers['user-agent'] ?? 'unknown')
          .split('/')[0]!
          .slice(0, 128) || 'unknown';
    return {
      user,
      dryRun: dryRun.length > 0,
      fieldManager: manager,
      fieldValidation: validation as FieldValidation,
      warnings: [],
    };
  }

  function sendObject(
    res: ServerResponse,
    code: number,
    type: ResourceType,
    obj: KubeObject,
    rep: Representation,
    include: IncludeObject,
    warnings: string[],
  ) {
    if (rep === 'table')
      return sendJson(
        res,
        code,
        toTable(type, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }, include, now()),
        warnings,
      );
    if (rep === 'partial-metadata')
      return sendJson(
        res,
        code,
        { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata },
        warnings,
      );
    return sendJson(res, code, obj, warnings);
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    const verb = { value: (req.method ?? 'GET').toLowerCase(), resource: '' };
    res.on('finish', () => {
      opts.metrics.observe(verb.value, verb.resource, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    handle(req, res, verb).catch((err: unknown) => {
      if (req.destroyed && (err as NodeJS.ErrnoException)?.code === 'ECONNRESET') {
        // the client went away (or was cut off by the request timeout) while its body was read
        opts.logger.debug({ method: req.method, url: req.url }, 'request aborted by the client');
        return;
      }
      const apiError = err instanceof ApiError ? err : internalError((err as Error)?.message ?? String(err));
      if (!(err instanceof ApiError)) opts.logger.error({ err, method: req.method, url: req.url }, 'request failed');
      else
        opts.logger.debug(
          { method: req.method, url: req.url, code: apiError.code, message: apiError.message },
          'request refused',
        );
      if (res.headersSent) {
        res.end();
        return;
      }
      sendJson(res, apiError.code, apiError.status);
    });
  };
}

function supportsSubresource(type: ResourceType, sub: string): boolean {
  if (sub === 'status') return type.statusSubresource;
  if (sub === 'scale') return type.scale !== undefined;
  if (sub === 'finalize') return type.storageKey === '/namespaces';
  if (sub === 'log' || STREAMING_SUBRESOURCES.has(sub)) return type.storageKey === '/pods';
  if (sub === 'token') return type.storageKey === '/serviceaccounts';
  return false;
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  warnings: string[] = [],
  contentType = 'application/json',
): void {
  sendText(res, code, JSON.stringify(body), warnings, contentType);
}

function sendText(
  res: ServerResponse,
  code: number,
  text: string,
  warnings: string[] = [],
  contentType = 'application/json',
): void {
  const headers: Record<string, string | string[]> = {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-cache, private',
  };
  if (warnings.length) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' '))}`);
  if (!res.hasHeader('Cache-Control') || code !== 200) res.writeHead(code, headers);
  else res.writeHead(code, { ...headers, 'Cache-Control': String(res.getHeader('Cache-Control')) });
  res.end(text);
}

function compact<T extends Record<string, unknown>>(meta: T): Partial<T> {
  return Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Lists are served from the current state: a resourceVersion at or before it is satisfied
 * (NotOlderThan, the default), an Exact older one is gone, a future one is not there yet.
 */
function checkListResourceVersion(q: URLSearchParams, current: string): void {
  const rv = q.get('resourceVersion');
  const match = q.get('resourceVersionMatch');
  if (match !== null) {
    if (match !== 'NotOlderThan' && match !== 'Exact') {
      throw invalid('ListOptions', 'meta.k8s.io', '', [
        {
          type: 'FieldValueNotSupported',
          field: 'resourceVersionMatch',
          detail: `Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan", ""`,
        },
      ]);
    }
    if (!rv)
      throw invalid('ListOptions', 'meta.k8s.io', '', [
        {
          type: 'FieldValueForbidden',
          field: 'resourceVersionMatch',
          detail: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
        },
      ]);
  }
  if (!rv || rv === '0') return;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  if (Number(rv) > Number(current)) throw tooLargeResourceVersion(rv, current);
  if (match === 'Exact' && rv !== current)
    throw new ApiError(410, 'Expired', `too old resource version: ${rv} (${current})`);
}

function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null) return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(
    `includeObject: Unsupported value: ${JSON.stringify(value)}: supported values: "None", "Metadata", "Object"`,
  );
}

function parseNonNegative(value: string, name: string): number {
  if (!/^\d+$/.test(value))
    throw badRequest(`${name}: Invalid value: ${JSON.stringify(value)}: must be a non-negative integer`);
  return Number(value);
}

function parseBool(value: string | null, name: string): boolean {
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`${name}: Invalid value: ${JSON.stringify(value)}: must be true or false`);
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const body = decodeBody(req, await readBody(req));
  const options: DeleteOptions = {};
  if (body !== undefined) {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('the DELETE body must be a DeleteOptions object');
    Object.assign(options, body);
  }
  const policy = q.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null) options.gracePeriodSeconds = parseNonNegative(grace, 'gracePeriodSeconds');
  if (q.get('orphanDependents') !== null)
    options.orphanDependents = parseBool(q.get('orphanDependents'), 'orphanDependents');
  return options;
}
