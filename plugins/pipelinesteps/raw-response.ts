// step.raw_response: writes a non-JSON response (`content_type`, `status`, `headers`, `body`
// template or `body_from` path) and stops the pipeline.
import { formatValue, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { markHandled } from './json-response.ts';
import { compile, optMap, optNumber, optString, reqString } from './step-config.ts';

export const rawResponseSchema: TypeSchema = {
  description: 'Writes a raw (non-JSON) HTTP response and stops the pipeline',
  configFields: [
    { key: 'content_type', type: 'string', required: true },
    { key: 'status', type: 'number', default: 200 },
    { key: 'headers', type: 'map' },
    { key: 'body', type: 'string' },
    { key: 'body_from', type: 'string' },
  ],
};

export const createRawResponseStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const contentType = reqString(cfg, 'content_type', 'e.g. content_type: text/plain');
  const status = optNumber(cfg, 'status', 200)!;
  const headers = optMap(cfg, 'headers');
  const headerValues = headers ? compile(ctx, headers, ['headers']) : undefined;
  const bodyFrom = optString(cfg, 'body_from');
  const body = compile(ctx, cfg.body ?? '', ['body']);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const value = bodyFrom ? ctx.templates.lookup(pc, bodyFrom) : body.resolve(pc);
      const text =
        typeof value === 'string'
          ? value
          : Buffer.isBuffer(value)
            ? value
            : value === undefined || value === null
              ? ''
              : formatValue(value);
      const res = pc.http?.res;
      if (!res) return { output: { status, body: text, content_type: contentType }, stop: true };
      if (!res.headersSent) {
        res.statusCode = status;
        res.setHeader('Content-Type', contentType);
        if (headerValues)
          for (const [k, v] of Object.entries(headerValues.resolve(pc) as ConfigMap)) res.setHeader(k, String(v));
        res.end(text);
      }
      markHandled(pc);
      return { output: { status }, stop: true };
    },
  };
};
