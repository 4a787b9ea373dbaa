// step.http_call: an outbound HTTP request. `url`, `method`, `headers`, `body` (templates; maps are
// sent as JSON) or `body_from`, `timeout` (30s), `auth` ({type: bearer, token} | {type: basic,
// username, password}), `error_on_status` (true: 4xx/5xx fail the step).
// Output {status_code, status, body (JSON decoded when possible), headers, elapsed_ms}.
import {
  durationOr,
  formatValue,
  isPlainMap,
  type ConfigMap,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
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
    { key: 'auth', type: 'map' },
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
  const auth = compile(ctx, optMap(cfg, 'auth') ?? {}, ['auth']);
  const timeoutMs = durationOr(cfg.timeout, 30_000);
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
      const target = String(url.resolve(pc));
      const started = performance.now();
      let res: Response;
      try {
        res = await fetch(target, {
          method,
          headers: h,
          body: payload,
          signal: AbortSignal.any([pc.signal, AbortSignal.timeout(timeoutMs)]),
        });
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
