// step.json_response / step.response: writes a JSON response and stops the pipeline. `status`
// (or `status_code`; `status_from` a dotted path wins when it holds 100..599), `headers`, and the
// body from `body` (map with templates, `{_from: path}` leaves, or a template string decoded as
// JSON) or `body_from` (dotted path, "." = all of Current). Without a live request it outputs
// {status, body} instead.
import type { IncomingMessage } from 'node:http';
import {
  isPlainMap,
  type CompiledValue,
  type ConfigMap,
  type PipelineContext,
  type StepBuildContext,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { compile, decodeJsonLike, optMap, optNumber, optString } from './step-config.ts';

export const jsonResponseSchema: TypeSchema = {
  description: 'Writes a JSON HTTP response and stops the pipeline',
  configFields: [
    { key: 'status', type: 'number', default: 200, aliases: ['status_code'] },
    { key: 'status_from', type: 'string', description: 'dotted path of a status code' },
    { key: 'body', type: 'json', description: 'response body (templates allowed)' },
    { key: 'body_from', type: 'string', description: 'dotted path of the body; "." for all of Current' },
    { key: 'headers', type: 'map' },
  ],
  outputs: [{ key: 'status', type: 'number' }],
};

type BodyBuilder = (pc: PipelineContext) => unknown;

/** Compile a body spec: `{_from: path}` leaves read the context, strings are templates. */
function compileBody(ctx: StepBuildContext, body: unknown, path: Array<string | number>): BodyBuilder {
  if (isPlainMap(body)) {
    if (typeof body._from === 'string' && Object.keys(body).length === 1) {
      const from = body._from;
      return (pc) => ctx.templates.lookup(pc, from);
    }
    const entries = Object.entries(body).map(([k, v]) => [k, compileBody(ctx, v, [...path, k])] as const);
    return (pc) => {
      const out: ConfigMap = {};
      for (const [k, b] of entries) out[k] = b(pc);
      return out;
    };
  }
  if (Array.isArray(body)) {
    const items = body.map((v, i) => compileBody(ctx, v, [...path, i]));
    return (pc) => items.map((b) => b(pc));
  }
  const compiled: CompiledValue = compile(ctx, body, path);
  if (!compiled.dynamic) {
    const value = compiled.resolve(undefined as never);
    return () => value;
  }
  return (pc) => decodeJsonLike(compiled.resolve(pc));
}

export function bodyFromPath(ctx: StepBuildContext, path: string): BodyBuilder {
  if (path.trim() === '.' || path.trim() === '') {
    return (pc) => {
      const out: ConfigMap = {};
      for (const [k, v] of Object.entries(pc.current))
        if (!k.startsWith('_') && k !== 'response_status' && k !== 'response_body' && k !== 'response_headers')
          out[k] = v;
      return out;
    };
  }
  return (pc) => ctx.templates.lookup(pc, path);
}

export function markHandled(pc: PipelineContext): void {
  pc.metadata._response_handled = true;
}

export const createJsonResponseStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const status = optNumber(cfg, 'status') ?? optNumber(cfg, 'status_code') ?? 200;
  const statusFrom = optString(cfg, 'status_from');
  const headers = optMap(cfg, 'headers');
  const headerValues = headers ? compile(ctx, headers, ['headers']) : undefined;
  const bodyFrom = optString(cfg, 'body_from');
  const body: BodyBuilder | undefined =
    bodyFrom !== undefined
      ? bodyFromPath(ctx, bodyFrom)
      : cfg.body !== undefined
        ? compileBody(ctx, cfg.body, ['body'])
        : undefined;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      let code = status;
      if (statusFrom) {
        const v = Number(ctx.templates.lookup(pc, statusFrom));
        if (Number.isInteger(v) && v >= 100 && v <= 599) code = v;
      }
      const payload = body?.(pc);
      const res = pc.http?.res;
      if (!res)
        return { output: payload === undefined ? { status: code } : { status: code, body: payload }, stop: true };
      if (!res.headersSent) {
        const text = payload === undefined || code === 204 || code === 304 ? '' : JSON.stringify(payload) + '\n';
        if (headerValues) {
          res.statusCode = code;
          res.setHeader('Content-Type', 'application/json');
          for (const [k, v] of Object.entries(headerValues.resolve(pc) as ConfigMap)) res.setHeader(k, String(v));
          res.setHeader('Content-Length', Buffer.byteLength(text));
        } else {
          // writeHead with a literal skips Node's per-header map (headers set earlier still merge in)
          res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
        }
        res.end(isHead(pc.http!.req) ? undefined : text);
      }
      markHandled(pc);
      return { output: { status: code }, stop: true };
    },
  };
};

function isHead(req: IncomingMessage): boolean {
  return req.method === 'HEAD';
}
