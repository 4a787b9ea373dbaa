// Reading an OpenAPI 3.x document into the operations this plugin serves: method, path, merged
// parameters (path-level + operation-level, local $refs resolved), request body, responses and the
// `x-pipeline` extension. Pure apart from reading the file.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isPlainObject } from '../support/index.ts';

export type JsonSchema = Record<string, unknown>;
export type MediaTypes = Record<string, { schema?: JsonSchema }>;

export interface OperationParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema?: JsonSchema;
}

export interface Operation {
  method: string;
  /** OpenAPI path template, e.g. /pets/{petId} (also a valid Go 1.22 route pattern). */
  path: string;
  operationId?: string;
  summary?: string;
  parameters: OperationParameter[];
  requestBody?: { required: boolean; content: MediaTypes };
  responses: Record<string, { content?: MediaTypes }>;
  pipeline?: string;
}

export interface OpenApiDocument {
  raw: Record<string, unknown>;
  /** The file's own text, served at /openapi.yaml when it is YAML. */
  source: string;
  isYaml: boolean;
  title: string;
  version: string;
  operations: Operation[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function loadOpenApiFile(path: string): OpenApiDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `cannot read spec file ${path}: ` +
        `${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  return parseOpenApi(text, path);
}

export function parseOpenApi(text: string, where = 'spec'): OpenApiDocument {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new Error(`${where} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(raw)) throw new Error(`${where} must be an OpenAPI document (a map)`);
  const version = String(raw.openapi ?? '');
  if (!version.startsWith('3.'))
    throw new Error(`${where}: only OpenAPI 3.x is supported (openapi: "${version || 'missing'}")`);
  const info = isPlainObject(raw.info) ? raw.info : {};
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(isPlainObject(raw.paths) ? raw.paths : {})) {
    if (!isPlainObject(item)) continue;
    const shared = parameters(raw, item.parameters);
    for (const method of METHODS) {
      const op = item[method];
      if (!isPlainObject(op)) continue;
      const own = parameters(raw, op.parameters);
      const merged = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own];
      const body = isPlainObject(op.requestBody)
        ? (resolveRef(raw, op.requestBody) as Record<string, unknown>)
        : undefined;
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
        summary: typeof op.summary === 'string' ? op.summary : undefined,
        parameters: merged,
        requestBody: body
          ? {
              required: body.required === true,
              content: (isPlainObject(body.content) ? body.content : {}) as MediaTypes,
            }
          : undefined,
        responses: (isPlainObject(op.responses) ? op.responses : {}) as Operation['responses'],
        pipeline: typeof op['x-pipeline'] === 'string' ? op['x-pipeline'] : undefined,
      });
    }
  }
  return {
    raw,
    source: text,
    isYaml: !/^\s*[{[]/.test(text),
    title: String(info.title ?? 'API'),
    version: String(info.version ?? ''),
    operations,
  };
}

function parameters(doc: Record<string, unknown>, list: unknown): OperationParameter[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((p) => resolveRef(doc, p))
    .filter(isPlainObject)
    .filter((p) => typeof p.name === 'string' && ['path', 'query', 'header', 'cookie'].includes(String(p.in)))
    .map((p) => ({
      name: p.name as string,
      in: p.in as OperationParameter['in'],
      required: p.in === 'path' || p.required === true,
      schema: isPlainObject(p.schema) ? p.schema : undefined,
    }));
}

/** Follow a local `$ref` ("#/components/parameters/Limit"); anything else is returned as is. */
export function resolveRef(doc: Record<string, unknown>, value: unknown): unknown {
  let current = value;
  for (let hops = 0; isPlainObject(current) && typeof current.$ref === 'string' && hops < 16; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) return current;
    let target: unknown = doc;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
      target = isPlainObject(target) ? target[key] : undefined;
    }
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
    current = target;
  }
  return current;
}
