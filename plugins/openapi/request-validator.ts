// Request (and response) checks for one OpenAPI operation, compiled once with ajv. OpenAPI 3.0
// schema dialect (nullable, boolean exclusiveMinimum) is translated to JSON Schema; local
// `#/components/...` refs resolve against the document's components. Parameters arrive as strings
// and are coerced to their declared types before they are checked.
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { isPlainObject } from '../support/index.ts';
import type { JsonSchema, MediaTypes, Operation, OperationParameter } from './openapi-spec.ts';

export interface ValidationProblem {
  location: 'path' | 'query' | 'header' | 'cookie' | 'body' | 'response';
  /** Parameter name, or a JSON pointer into the body. */
  field: string;
  message: string;
}

const require = createRequire(import.meta.url);

// ajv is loaded when an openapi module compiles its spec, not by every `wfctl run` that imports the plugin
function newAjv(coerceTypes: boolean): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as (a: Ajv) => void;
  const ajv = new AjvClass({ strict: false, allErrors: true, coerceTypes: coerceTypes ? 'array' : false });
  addFormats(ajv);
  return ajv;
}

export class SchemaCompiler {
  private readonly bodies = newAjv(false);
  private readonly params = newAjv(true);
  private readonly components: Record<string, unknown>;

  constructor(doc: Record<string, unknown>) {
    this.components = isPlainObject(doc.components) ? (toJsonSchema(doc.components) as Record<string, unknown>) : {};
  }

  body(schema: JsonSchema): ValidateFunction {
    return this.bodies.compile({ ...(toJsonSchema(schema) as JsonSchema), components: this.components });
  }

  parameters(list: OperationParameter[]): ValidateFunction {
    const properties: Record<string, unknown> = {};
    for (const p of list) properties[p.name] = toJsonSchema(p.schema ?? {});
    return this.params.compile({
      type: 'object',
      properties,
      required: list.filter((p) => p.required).map((p) => p.name),
      components: this.components,
    });
  }
}

/** OpenAPI 3.0 schema -> JSON Schema (draft-07 as ajv reads it). */
export function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = k === 'example' || k === 'examples' || k === 'enum' || k === 'default' ? v : toJsonSchema(v);
  if (out.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  delete out.nullable;
  for (const [bound, flag] of [
    ['minimum', 'exclusiveMinimum'],
    ['maximum', 'exclusiveMaximum'],
  ] as const) {
    if (out[flag] === true && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else if (out[flag] === false) delete out[flag];
  }
  return out;
}

export class OperationValidator {
  private readonly paramCheck?: ValidateFunction;
  private readonly bodyChecks = new Map<string, ValidateFunction>();
  private readonly responseChecks = new Map<string, ValidateFunction>();

  constructor(
    readonly op: Operation,
    compiler: SchemaCompiler,
  ) {
    if (op.parameters.length > 0) this.paramCheck = compiler.parameters(op.parameters);
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {}))
      if (media.schema) this.bodyChecks.set(type, compiler.body(media.schema));
    for (const [status, response] of Object.entries(op.responses)) {
      const json = jsonMedia(response.content);
      if (json?.schema) this.responseChecks.set(status, compiler.body(json.schema));
    }
  }

  /** Problems with the request's parameters and (already read) body. */
  validateRequest(req: IncomingMessage, pathParams: Record<string, string>, body: Buffer): ValidationProblem[] {
    return [...this.checkParameters(req, pathParams), ...this.checkBody(req, body)];
  }

  /** Problems with a JSON response for `status` (checked against that status, else "default"). */
  validateResponse(status: number, body: unknown): ValidationProblem[] {
    const check =
      this.responseChecks.get(String(status)) ??
      this.responseChecks.get(`${String(status)[0]}XX`) ??
      this.responseChecks.get('default');
    if (!check || check(body)) return [];
    return problems(check.errors, 'response');
  }

  private checkParameters(req: IncomingMessage, pathParams: Record<string, string>): ValidationProblem[] {
    if (!this.paramCheck) return [];
    const url = new URL(req.url ?? '/', 'http://x');
    const cookies = parseCookies(req.headers.cookie);
    const values: Record<string, unknown> = {};
    const locationOf = new Map<string, OperationParameter['in']>();
    for (const p of this.op.parameters) {
      locationOf.set(p.name, p.in);
      let v: unknown;
      if (p.in === 'path') v = pathParams[p.name];
      else if (p.in === 'query')
        v = p.schema?.type === 'array' ? url.searchParams.getAll(p.name) : (url.searchParams.get(p.name) ?? undefined);
      else if (p.in === 'header') v = req.headers[p.name.toLowerCase()];
      else v = cookies[p.name];
      if (v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) values[p.name] = v;
    }
    if (this.paramCheck(values)) return [];
    return (this.paramCheck.errors ?? []).map((e) => {
      const name = e.keyword === 'required' ? String(e.params.missingProperty) : (e.instancePath.split('/')[1] ?? '');
      const where = locationOf.get(name) ?? 'query';
      const what = e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid');
      return { location: where, field: name, message: `${where} parameter "${name}" ${what}` };
    });
  }

  private checkBody(req: IncomingMessage, body: Buffer): ValidationProblem[] {
    const spec = this.op.requestBody;
    if (!spec) return [];
    if (body.length === 0)
      return spec.required ? [{ location: 'body', field: '', message: 'request body is required but missing' }] : [];
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const declared = Object.keys(spec.content);
    const mediaType = type === '' && declared.includes('application/json') ? 'application/json' : type;
    if (declared.length > 0 && !declared.includes(mediaType)) {
      return [
        {
          location: 'body',
          field: '',
          message: `unsupported Content-Type "${type}"; the spec accepts ${declared.join(', ')}`,
        },
      ];
    }
    const check = this.bodyChecks.get(mediaType);
    if (!check) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return [{ location: 'body', field: '', message: `request body is not valid JSON: ${(err as Error).message}` }];
    }
    return check(parsed) ? [] : problems(check.errors, 'body');
  }
}

function problems(errors: ErrorObject[] | null | undefined, location: 'body' | 'response'): ValidationProblem[] {
  return (errors ?? []).map((e) => {
    const required = e.keyword === 'required';
    const field = required ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
    const allowed =
      e.keyword === 'enum'
        ? ` (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`
        : '';
    const what = required
      ? `required property "${String(e.params.missingProperty)}" is missing`
      : `${e.message ?? 'is invalid'}${allowed}`;
    return { location, field, message: `${location}${e.instancePath}: ${what}` };
  });
}

function jsonMedia(content?: MediaTypes): { schema?: JsonSchema } | undefined {
  if (!content) return undefined;
  const key = Object.keys(content).find((k) => k === 'application/json' || /\+json$/.test(k) || k === '*/*');
  return key ? content[key] : undefined;
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}
