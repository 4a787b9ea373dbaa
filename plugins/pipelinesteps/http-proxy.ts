// step.http_proxy: forwards the live request (method, body, query string) to a backend chosen by
// earlier steps: the URL at `backend_url_key` (default backend_url) plus the path at `resource_key`
// (default path_params.resource). Only the `forward_headers` named (and Content-Type) go along. The
// backend's answer streams back to the client through the HTTP plugin's one proxy (502/504 JSON on
// failure) and the pipeline stops. Without a live request the backend is called and its answer is
// the output {status_code, headers, body, proxied_to}.
import type { OutgoingHttpHeaders } from 'node:http';
import { formatValue, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { proxyTo } from '../http/index.ts';
import { ConfigReader } from '../support/index.ts';
import { markHandled } from './json-response.ts';

export const httpProxySchema: TypeSchema = {
  description: 'Forwards the request to a backend URL found in the pipeline data and relays the answer',
  configFields: [
    { key: 'backend_url_key', type: 'string', default: 'backend_url', description: 'dotted path of the backend URL' },
    {
      key: 'resource_key',
      type: 'string',
      default: 'path_params.resource',
      description: 'dotted path of the path to append',
    },
    { key: 'forward_headers', type: 'array', description: 'request headers to pass on' },
    { key: 'timeout', type: 'duration', default: '30s' },
  ],
  outputs: [
    { key: 'status_code', type: 'number' },
    { key: 'proxied_to', type: 'string' },
  ],
};

export const createHttpProxyStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const urlKey = cfg.string('backend_url_key', 'backend_url')!;
  const resourceKey = cfg.string('resource_key', 'path_params.resource')!;
  const forwardHeaders = cfg.stringList('forward_headers').map((h) => h.toLowerCase());
  const timeoutMs = cfg.duration('timeout', 30_000)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const backend = ctx.templates.lookup(pc, urlKey);
      if (typeof backend !== 'string' || backend === '')
        throw new Error(`http_proxy "${spec.name}": no backend URL at "${urlKey}"`);
      const resource = ctx.templates.lookup(pc, resourceKey);
      let target = backend.replace(/\/+$/, '');
      if (typeof resource === 'string' && resource !== '') target += '/' + resource.replace(/^\/+/, '');
      const req = pc.http?.req;
      const query = req?.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      let url: URL;
      try {
        url = new URL(target + query);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        throw new Error(`http_proxy "${spec.name}": backend URL "${target}" is not an http(s) URL`);
      }
      const headers: OutgoingHttpHeaders = {};
      for (const h of [...forwardHeaders, 'content-type']) {
        const v = req?.headers[h];
        if (v !== undefined) headers[h] = v;
      }
      if (pc.http) {
        const status = await proxyTo(
          pc.http.req,
          pc.http.res,
          { url, headers, body: pc.http.rawBody ?? Buffer.alloc(0) },
          timeoutMs,
        );
        markHandled(pc);
        return { output: { status_code: status ?? 502, proxied_to: url.toString() }, stop: true };
      }
      const res = await fetch(url, { signal: AbortSignal.any([pc.signal, AbortSignal.timeout(timeoutMs)]) });
      const outHeaders: ConfigMap = {};
      res.headers.forEach((v, k) => {
        outHeaders[k] = v;
      });
      const body = await res.text();
      return {
        output: { status_code: res.status, headers: outHeaders, body: formatValue(body), proxied_to: url.toString() },
        stop: true,
      };
    },
  };
};
