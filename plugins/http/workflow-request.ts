// The HTTP <-> workflow contract (UPSTREAM.md 1.11), shared by the `http` trigger and by route-level
// pipelines of the `http` workflow handler: how a request becomes trigger data, and how the result
// (or error) becomes the response.
import { setOwn } from '../../security/index.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ValidationError,
  type AppContext,
  type ConfigMap,
  type HttpExchange,
  type HttpHandlerFn,
  type Logger,
} from '../../engine/index.ts';
import {
  BodyTooLargeError,
  jsonBodyProblem,
  parseJsonObject,
  readBody,
  requestHasBody,
  writeError,
  writeJson,
} from './http-io.ts';

export interface WorkflowRoute {
  method: string;
  path: string;
  workflow: string;
  action: string;
  /** Static values merged into the trigger data last. */
  params?: ConfigMap;
  /** Expose the raw body as `request_body` plus webhook signature headers. */
  includeRawBody?: boolean;
}

const SIGNATURE_HEADERS: Array<[string, string[]]> = [
  ['stripe-signature', ['stripe_signature', 'webhook_signature']],
  ['x-hub-signature-256', ['github_signature', 'webhook_signature']],
  ['x-signature', ['webhook_signature']],
  ['paypal-transmission-sig', ['paypal_transmission_sig']],
  ['paypal-transmission-id', ['paypal_transmission_id']],
  ['paypal-transmission-time', ['paypal_transmission_time']],
  ['paypal-cert-url', ['paypal_cert_url']],
  ['paypal-auth-algo', ['paypal_auth_algo']],
];

/** Trigger data: method, path, path params and first query values flattened, JSON-object `body`. */
export function buildTriggerData(
  req: IncomingMessage,
  path: string,
  query: string,
  params: Record<string, string>,
  raw: Buffer | undefined,
  route: WorkflowRoute,
): ConfigMap {
  const data: ConfigMap = { method: req.method, path };
  for (const k of Object.keys(params)) setOwn(data, k, params[k]);
  if (query !== '') {
    // first value of each query parameter, flattened (upstream order: they override path params)
    const seen = new Set<string>();
    for (const [k, v] of new URLSearchParams(query)) {
      if (seen.has(k)) continue;
      seen.add(k);
      setOwn(data, k, v);
    }
  }
  const body = parseJsonObject(raw);
  if (body) data.body = body;
  if (route.includeRawBody) {
    data.request_body = raw ? raw.toString('utf8') : '';
    for (const [header, fields] of SIGNATURE_HEADERS) {
      const v = req.headers[header];
      if (typeof v === 'string') for (const f of fields) data[f] ??= v;
    }
  }
  if (route.params) Object.assign(data, route.params);
  return data;
}

function coerceStatus(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

/** Response precedence after the workflow returns: written > response_status > _pipeline_output > 202. */
export function writeWorkflowResult(res: ServerResponse, result: ConfigMap | undefined): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  if (result) {
    const status = coerceStatus(result.response_status);
    if (status !== undefined && status >= 100 && status <= 599) {
      const headers = result.response_headers;
      if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
        for (const [k, v] of Object.entries(headers as ConfigMap)) {
          if (Array.isArray(v)) res.setHeader(k, v.map(String));
          else if (v !== undefined && v !== null) res.setHeader(k, String(v));
        }
      }
      res.statusCode = status;
      const body = result.response_body;
      res.end(typeof body === 'string' ? body : undefined);
      return;
    }
    const out = result._pipeline_output;
    if (out !== undefined && out !== null) {
      writeJson(res, 200, out);
      return;
    }
  }
  writeJson(res, 202, { status: 'workflow triggered' });
}

/**
 * A validation error answers with its status and {"error"}; any other failure is a JSON 500 (upstream
 * answers plain text; JSON keeps API clients uniform). The server keeps serving either way.
 */
export function writeWorkflowError(res: ServerResponse, err: unknown, logger: Logger): void {
  if (err instanceof ValidationError) {
    writeError(res, err.status, err.message);
    return;
  }
  if (err instanceof BodyTooLargeError) {
    writeError(res, 413, err.message);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  logger.error({ err: message }, 'workflow failed');
  writeError(res, 500, `Error triggering workflow: ${message}`);
}

/** An HTTP handler that triggers a workflow per request (the `http` trigger's route handler). */
export function workflowRouteHandler(
  app: AppContext,
  route: WorkflowRoute,
  logger: Logger,
  maxBodyBytes?: number,
): HttpHandlerFn {
  const routePattern = `${route.method.toUpperCase()} ${route.path}`;
  const run = async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, raw?: Buffer) => {
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const query = q === -1 ? '' : url.slice(q + 1);
      const problem = jsonBodyProblem(req, raw, route.includeRawBody);
      if (problem) {
        writeError(res, 400, problem);
        return;
      }
      const data = buildTriggerData(req, path, query, params, raw, route);
      // no signal: the engine cancels the run if the client goes away (it watches the exchange)
      const exchange: HttpExchange = { req, res, rawBody: raw, params, routePattern };
      const result = await app.workflows.triggerWorkflow(route.workflow, route.action, data, { http: exchange });
      writeWorkflowResult(res, result);
    } catch (err) {
      writeWorkflowError(res, err, logger);
    }
  };
  return (req, res, params) => {
    // a bodiless request (most GETs) starts its workflow without waiting for a body
    if (!requestHasBody(req)) return run(req, res, params);
    return readBody(req, maxBodyBytes).then(
      (raw) => run(req, res, params, raw),
      (err: unknown) => writeWorkflowError(res, err, logger),
    );
  };
}
