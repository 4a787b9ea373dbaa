// step.request_parse: picks path params, query params, headers and the body (JSON or form) of the
// live request into {path_params, query, headers, body}; `merge_body` also flattens body keys.
import { setOwn } from '../../security/index.ts';
import {
  isPlainMap,
  type ConfigMap,
  type PipelineContext,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { parseJsonObject } from '../http/index.ts';
import { oneOf, optStringList } from './step-config.ts';

export const requestParseSchema: TypeSchema = {
  description: 'Parses path params, query, headers and body of the HTTP request',
  configFields: [
    { key: 'path_params', type: 'array' },
    { key: 'query_params', type: 'array' },
    { key: 'parse_headers', type: 'array', aliases: ['headers'] },
    { key: 'parse_body', type: 'boolean', default: true },
    { key: 'format', type: 'select', options: ['json', 'form'], default: 'json' },
    { key: 'merge_body', type: 'boolean', default: false },
  ],
  outputs: [
    { key: 'path_params', type: 'map' },
    { key: 'query', type: 'map' },
    { key: 'headers', type: 'map' },
    { key: 'body', type: 'map' },
  ],
};

/** Path params from a concrete path and a pattern like /items/{id} (for runs without a live request). */
function paramsFromPattern(pattern: unknown, path: unknown): Record<string, string> {
  if (typeof pattern !== 'string' || typeof path !== 'string') return {};
  const ps = pattern.split('/');
  const vs = path.split('/');
  const out: Record<string, string> = {};
  ps.forEach((p, i) => {
    const m = /^\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}$/.exec(p);
    if (m && vs[i] !== undefined) out[m[1]!] = m[2] ? vs.slice(i).join('/') : decodeURIComponent(vs[i]!);
  });
  return out;
}

function parseBody(raw: Buffer | undefined, format: 'json' | 'form', contentType: string | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (format === 'form' || (contentType ?? '').includes('application/x-www-form-urlencoded')) {
    const out: ConfigMap = {};
    for (const [k, v] of new URLSearchParams(text)) if (!Object.hasOwn(out, k)) setOwn(out, k, v);
    return out;
  }
  // a JSON object, as upstream (json.Unmarshal into a map): arrays, scalars and bad JSON are no body
  return parseJsonObject(raw);
}

export const createRequestParseStep: StepFactory = (spec) => {
  const cfg = spec.config;
  const pathParams = optStringList(cfg, 'path_params');
  const queryParams = optStringList(cfg, 'query_params');
  const headerNames = optStringList(cfg, 'parse_headers') ?? optStringList(cfg, 'headers');
  const parse = cfg.parse_body !== false;
  const format = oneOf(cfg, 'format', ['json', 'form'] as const, 'json');
  const merge = cfg.merge_body === true;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext) {
      const http = pc.http;
      const output: ConfigMap = {};
      const allParams = http ? http.params : paramsFromPattern(pc.metadata._route_pattern, pc.triggerData.path);
      const pp: ConfigMap = {};
      for (const name of pathParams ?? Object.keys(allParams)) {
        const v = allParams[name] ?? (pc.triggerData[name] as string | undefined);
        if (v !== undefined) pp[name] = v;
      }
      output.path_params = pp;
      const query: ConfigMap = {};
      const url = http?.req.url;
      if (url?.includes('?')) {
        for (const [k, v] of new URLSearchParams(url.slice(url.indexOf('?') + 1))) {
          if (!Object.hasOwn(query, k) && (!queryParams || queryParams.includes(k))) setOwn(query, k, v);
        }
      } else if (queryParams) {
        for (const k of queryParams) if (pc.triggerData[k] !== undefined) query[k] = pc.triggerData[k];
      }
      output.query = query;
      if (headerNames && http) {
        const headers: ConfigMap = {};
        for (const h of headerNames) {
          const v = http.req.headers[h.toLowerCase()];
          if (v !== undefined) headers[h] = Array.isArray(v) ? v.join(', ') : v;
        }
        output.headers = headers;
      }
      if (parse) {
        const body = http ? parseBody(http.rawBody, format, http.req.headers['content-type']) : pc.triggerData.body;
        if (body !== undefined) {
          output.body = body;
          if (merge && isPlainMap(body))
            for (const [k, v] of Object.entries(body)) if (!Object.hasOwn(output, k)) setOwn(output, k, v);
        }
      }
      return { output };
    },
  };
};
