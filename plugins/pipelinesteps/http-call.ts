// step.http_call: an outbound HTTP request. `url`, `method`, `headers`, `body` (templates; maps are
// sent as JSON) or `body_from`, `timeout` (30s), `auth` ({type: bearer, token} | {type: basic,
// username, password} | {type: oauth2_client_credentials, token_url, client_id, client_secret,
// scopes}), `client` (an http.client module: its base URL, headers, auth and timeout apply),
// `error_on_status` (true: 4xx/5xx fail the step).
// Output {status_code, status, body (JSON decoded when possible), headers, elapsed_ms}.
import {
  ConfigValueError,
  durationOr,
  formatValue,
  isPlainMap,
  type ConfigMap,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { HttpClientCap, HttpClientModule, parseClientCredentials, type HttpClient } from '../http/index.ts';
import { moduleRef } from '../support/index.ts';
import { compile, decodeJsonLike, optMap, optString, reqString } from './step-config.ts';

export const httpCallSchema: TypeSchema = {
  description: 'Calls an external HTTP endpoint',
  configFields: [
    { key: 'url', type: 'string', required: true },
    {
      key: 'method',
      type: 'select',
      options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
      default: 'GET',
    },
    { key: 'headers', type: 'map' },
    { key: 'body', type: 'json' },
    { key: 'body_from', type: 'string' },
    { key: 'timeout', type: 'duration', default: '30s' },
    { key: 'auth', type: 'map', description: 'type: bearer | basic | oauth2_client_credentials' },
    { key: 'client', type: 'string', description: 'an http.client module to send through' },
    { key: 'error_on_status', type: 'boolean', default: true },
  ],
  outputs: [
    { key: 'status_code', type: 'number' },
    { key: 'body', type: 'any' },
    { key: 'headers', type: 'map' },
    { key: 'elapsed_ms', type: 'number' },
  ],
};

export const createHttpCallStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const url = compile(ctx, reqString(cfg, 'url', 'url: https://api.example.com/items/{{ .id }}'), ['url']);
  const method = (optString(cfg, 'method', 'GET') ?? 'GET').toUpperCase();
  const headers = compile(ctx, optMap(cfg, 'headers') ?? {}, ['headers']);
  const bodyFrom = optString(cfg, 'body_from');
  const body = cfg.body !== undefined ? compile(ctx, cfg.body, ['body']) : undefined;
  const authMap = optMap(cfg, 'auth') ?? {};
  const timeoutMs = durationOr(cfg.timeout, 30_000);
  // OAuth2 client credentials: an http.client of the step's own, so tokens are fetched, cached and
  // refreshed on 401 by the one implementation (upstream reads these keys literally, no templates)
  const oauthClient =
    authMap.type === 'oauth2_client_credentials'
      ? new HttpClientModule(spec.name, {
          timeoutMs,
          headers: {},
          auth: { type: 'oauth2_client_credentials', ...parseClientCredentials(authMap, ['auth']) },
        })
      : undefined;
  const auth = compile(ctx, oauthClient ? {} : authMap, ['auth']);
  const clientName = optString(cfg, 'client');
  const namedClient = clientName ? moduleRef(ctx, spec, clientName, 'http.client', HttpClientCap) : undefined;
  if (namedClient && oauthClient)
    throw new ConfigValueError('"auth" and "client" cannot both be set: the http.client module signs the requests', {
      path: ['auth'],
    });
  const errorOnStatus = cfg.error_on_status !== false;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers.resolve(pc) as ConfigMap)) h[k] = formatValue(v);
      const a = auth.resolve(pc) as ConfigMap;
      if (a.type === 'bearer' && a.token) h.Authorization = `Bearer ${String(a.token)}`;
      if (a.type === 'basic')
        h.Authorization = `Basic ${Buffer.from(`${String(a.username ?? '')}:${String(a.password ?? '')}`).toString(
          'base64',
        )}`;
      let payload: string | undefined;
      const value = bodyFrom ? ctx.templates.lookup(pc, bodyFrom) : body ? decodeJsonLike(body.resolve(pc)) : undefined;
      if (value !== undefined && method !== 'GET' && method !== 'HEAD') {
        if (typeof value === 'string') payload = value;
        else {
          payload = JSON.stringify(value);
          if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
        }
      }
      let target = String(url.resolve(pc));
      const started = performance.now();
      const client: HttpClient | undefined = namedClient ? namedClient() : oauthClient;
      let res: Response;
      try {
        const signal = AbortSignal.any([pc.signal, AbortSignal.timeout(timeoutMs)]);
        if (client) {
          target = client.resolveUrl(target);
          res = await client.request(target, { method, headers: h, body: payload, signal });
        } else res = await fetch(target, { method, headers: h, body: payload, signal });
      } catch (err) {
        const e = err as Error;
        throw new Error(
          `http_call ${method} ${target} failed: ` +
            (e.name === 'TimeoutError'
              ? `timed out after ${timeoutMs} ms`
              : ((e.cause as Error)?.message ?? e.message)),
        );
      }
      const text = await res.text();
      const contentType = res.headers.get('content-type') ?? '';
      let parsed: unknown = text;
      if (contentType.includes('json') || /^\s*[[{]/.test(text)) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      const outHeaders: ConfigMap = {};
      res.headers.forEach((v, k) => {
        outHeaders[k] = v;
      });
      const output = {
        status_code: res.status,
        status: `${res.status} ${res.statusText}`.trim(),
        body: parsed,
        headers: outHeaders,
        elapsed_ms: Math.round(performance.now() - started),
      };
      if (errorOnStatus && res.status >= 400) {
        const detail = isPlainMap(parsed) && typeof parsed.error === 'string' ? `: ${parsed.error}` : '';
        throw new Error(`http_call ${method} ${target} returned ${res.status}${detail}`);
      }
      return { output };
    },
  };
};
