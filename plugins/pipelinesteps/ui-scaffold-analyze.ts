// What upstream's UI scaffolder (scaffold/scaffold.go) reads from an OpenAPI 3 spec: resources (paths
// grouped by their last plain segment, with list/detail/create/update/delete operations and form fields
// from the create body's schema), every operation as a client function, and login/register endpoints.
// The result has upstream's shape, Go field names included, because step.ui_scaffold_analyze answers
// with it as JSON. Pure.
import { parse as parseYaml } from 'yaml';

export interface ScaffoldOptions {
  title?: string;
  theme?: string;
  /** Force auth pages on even when the spec has no login/register endpoints. */
  auth?: boolean;
}

export interface ApiOperation {
  FuncName: string;
  Method: string;
  Path: string;
  HasBody: boolean;
  PathParams: string[] | null;
}

export interface FormField {
  Name: string;
  Label: string;
  Type: string;
  Required: boolean;
  Options: string[] | null;
}

export interface ResourceGroup {
  Name: string;
  NameLower: string;
  NamePlural: string;
  ListOp: ApiOperation | null;
  DetailOp: ApiOperation | null;
  CreateOp: ApiOperation | null;
  UpdateOp: ApiOperation | null;
  DeleteOp: ApiOperation | null;
  FormFields: FormField[] | null;
}

export interface ScaffoldData {
  Title: string;
  Version: string;
  Theme: string;
  HasAuth: boolean;
  LoginPath: string;
  RegisterPath: string;
  Resources: ResourceGroup[] | null;
  Operations: ApiOperation[] | null;
  LoginOp: ApiOperation | null;
  RegisterOp: ApiOperation | null;
}

export class SpecParseError extends Error {}

type Json = Record<string, unknown>;
interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema | null>;
  required?: string[];
  enum?: unknown[];
}
interface Operation {
  operationId?: string;
  parameters?: Array<{ name?: string; in?: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema | null } | null> } | null;
}
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type PathItem = Partial<Record<(typeof METHODS)[number], Operation | null>>;
interface Spec {
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  schemas: Record<string, Schema>;
}

const isMap = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** upstream ParseSpec: JSON when it starts with "{", else YAML; the parts scaffolding needs. */
export function parseSpec(text: string): Spec {
  const trimmed = text.trim();
  if (trimmed === '') throw new SpecParseError('spec is empty');
  let doc: unknown;
  const json = trimmed.startsWith('{');
  try {
    doc = json ? JSON.parse(trimmed) : parseYaml(trimmed);
  } catch (err) {
    throw new SpecParseError(`${json ? 'JSON' : 'YAML'} parse error: ${(err as Error).message}`);
  }
  const shape = (what: string) => new SpecParseError(`${json ? 'JSON' : 'YAML'} parse error: ${what}`);
  if (!isMap(doc)) throw shape(`the spec must be a mapping with info and paths, not ${JSON.stringify(doc)}`);
  const info = doc.info ?? {};
  if (!isMap(info)) throw shape('"info" must be a mapping');
  const paths = doc.paths ?? {};
  if (!isMap(paths)) throw shape('"paths" must be a mapping of path -> operations');
  for (const [p, item] of Object.entries(paths)) {
    if (item !== null && !isMap(item)) throw shape(`paths["${p}"] must be a mapping of method -> operation`);
    for (const m of METHODS) {
      const op = item?.[m];
      if (op !== undefined && op !== null && !isMap(op)) throw shape(`paths["${p}"].${m} must be a mapping`);
    }
  }
  const components = doc.components;
  const schemas = isMap(components) && isMap(components.schemas) ? components.schemas : {};
  return {
    info: { title: String(info.title ?? ''), version: String(info.version ?? '') },
    paths: Object.fromEntries(Object.entries(paths).map(([p, item]) => [p, (item ?? {}) as PathItem])),
    schemas: schemas as Record<string, Schema>,
  };
}

const AUTH_PATH = /(auth|login|register|signup|signin|token|session)/i;
const PATH_PARAM = /\{([^}]+)\}/g;

/** upstream AnalyzeOnly: parse, then analyze. */
export function analyzeSpecText(text: string, opts: ScaffoldOptions): ScaffoldData {
  let spec: Spec;
  try {
    spec = parseSpec(text);
  } catch (err) {
    throw new SpecParseError(`failed to parse OpenAPI spec: ${(err as Error).message}`);
  }
  return analyzeSpec(spec, opts);
}

/** upstream AnalyzeSpec. */
export function analyzeSpec(spec: Spec, opts: ScaffoldOptions): ScaffoldData {
  const data: ScaffoldData = {
    Title: opts.title || spec.info.title || 'My App',
    Version: spec.info.version,
    Theme: opts.theme || 'auto',
    HasAuth: false,
    LoginPath: '',
    RegisterPath: '',
    Resources: null,
    Operations: null,
    LoginOp: null,
    RegisterOp: null,
  };
  // Go's sort.Strings: byte order (the same as code-unit order for the ASCII of paths)
  const paths = Object.keys(spec.paths).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  for (const p of paths) {
    const post = spec.paths[p]!.post;
    if (!AUTH_PATH.test(p) || !post) continue;
    const op = buildOperation(post, 'POST', p);
    const lower = p.toLowerCase();
    if (['login', 'signin', 'token', 'session'].some((w) => lower.includes(w))) {
      data.HasAuth = true;
      data.LoginPath = p;
      data.LoginOp = op;
    }
    if (lower.includes('register') || lower.includes('signup')) {
      data.HasAuth = true;
      data.RegisterPath = p;
      data.RegisterOp = op;
    }
  }
  if (opts.auth && !data.HasAuth) {
    data.HasAuth = true;
    data.LoginPath ||= '/auth/login';
    data.RegisterPath ||= '/auth/register';
  }

  const operations: ApiOperation[] = [];
  const resources = new Map<string, ResourceGroup>();
  for (const p of paths) {
    const item = spec.paths[p]!;
    if (AUTH_PATH.test(p)) {
      for (const m of METHODS) if (item[m]) operations.push(buildOperation(item[m]!, m.toUpperCase(), p));
      continue;
    }
    const name = resourceNameFromPath(p);
    if (name === '') continue;
    let group = resources.get(name);
    if (!group) {
      group = {
        Name: toCamelCase(name),
        NameLower: name.toLowerCase(),
        NamePlural: name.toLowerCase(),
        ListOp: null,
        DetailOp: null,
        CreateOp: null,
        UpdateOp: null,
        DeleteOp: null,
        FormFields: null,
      };
      resources.set(name, group);
    }
    const hasPathParam = p.includes('{');
    if (item.get) {
      const op = buildOperation(item.get, 'GET', p);
      operations.push(op);
      if (hasPathParam) group.DetailOp = op;
      else group.ListOp = op;
    }
    if (item.post) {
      const op = buildOperation(item.post, 'POST', p);
      operations.push(op);
      if (!hasPathParam) {
        group.CreateOp = op;
        if (item.post.requestBody) group.FormFields = formFields(item.post.requestBody, spec.schemas);
      }
    }
    if (item.put) {
      const op = buildOperation(item.put, 'PUT', p);
      operations.push(op);
      group.UpdateOp = op;
      if (!group.CreateOp && item.put.requestBody) group.FormFields = formFields(item.put.requestBody, spec.schemas);
    }
    if (item.patch) {
      const op = buildOperation(item.patch, 'PATCH', p);
      operations.push(op);
      group.UpdateOp ??= op;
    }
    if (item.delete) {
      const op = buildOperation(item.delete, 'DELETE', p);
      operations.push(op);
      group.DeleteOp = op;
    }
  }
  if (resources.size > 0) data.Resources = [...resources.values()];
  if (operations.length > 0) data.Operations = operations;
  return data;
}

function buildOperation(op: Operation, method: string, path: string): ApiOperation {
  const id = typeof op.operationId === 'string' ? op.operationId : '';
  const funcName = id === '' ? generateFuncName(method, path) : id.charAt(0).toLowerCase() + id.slice(1);
  const params: string[] = [];
  for (const param of Array.isArray(op.parameters) ? op.parameters : [])
    if (param?.in === 'path' && typeof param.name === 'string') params.push(param.name);
  for (const m of path.matchAll(PATH_PARAM)) if (!params.includes(m[1]!)) params.push(m[1]!);
  return {
    FuncName: funcName,
    Method: method.toUpperCase(),
    Path: path,
    HasBody: op.requestBody !== undefined && op.requestBody !== null,
    PathParams: params.length > 0 ? params : null,
  };
}

/** "GET /api/users/{id}" -> getApiUsersById */
function generateFuncName(method: string, path: string): string {
  const clean = path
    .replace(/^\//, '')
    .replace(PATH_PARAM, (_m, inner: string) => `By${toCamelCase(inner)}`)
    .replace(/[/.-]/g, '_');
  return (
    method.toLowerCase() +
    clean
      .split('_')
      .filter((part) => part !== '')
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join('')
  );
}

/** "/api/v1/users/{id}" -> "users": the last segment that is not a parameter, "api" or a version. */
function resourceNameFromPath(path: string): string {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const seg = parts[i]!;
    if (seg === '' || seg.startsWith('{') || seg === 'api' || /^v\d+$/.test(seg)) continue;
    return seg;
  }
  return '';
}

function formFields(body: NonNullable<Operation['requestBody']>, schemas: Record<string, Schema>): FormField[] | null {
  const content = isMap(body.content) ? body.content : {};
  const media = content['application/json'] ?? Object.values(content)[0];
  if (!media?.schema) return null;
  const schema = resolveRef(media.schema, schemas);
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const properties = isMap(schema.properties) ? schema.properties : {};
  const fields = Object.keys(properties)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => {
      const prop = properties[name] ? resolveRef(properties[name]!, schemas) : { type: 'string' };
      const type = inferFieldType(name, prop);
      const enumValues = Array.isArray(prop.enum) ? prop.enum.map(String) : [];
      return {
        Name: name,
        Label: toLabel(name),
        Type: type,
        Required: required.has(name),
        Options: type === 'select' && enumValues.length > 0 ? enumValues : null,
      };
    });
  return fields.length > 0 ? fields : null;
}

function resolveRef(schema: Schema, schemas: Record<string, Schema>): Schema {
  if (typeof schema.$ref !== 'string' || schema.$ref === '') return schema;
  const parts = schema.$ref.split('/');
  if (parts.length >= 4 && parts[1] === 'components' && parts[2] === 'schemas') {
    const target = schemas[parts[3]!];
    if (isMap(target)) return target;
  }
  return schema;
}

function inferFieldType(name: string, schema: Schema): string {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'select';
  const lower = name.toLowerCase();
  if (lower.includes('email')) return 'email';
  if (lower.includes('password') || lower.includes('secret')) return 'password';
  if (['integer', 'number'].includes(schema.type ?? '') || ['int32', 'int64'].includes(schema.format ?? ''))
    return 'number';
  return 'text';
}

const isUpper = (c: string) => c !== c.toLowerCase() && c === c.toUpperCase();

/** "first_name" -> "First name", "createdAt" -> "Created At" (upstream toLabel). */
function toLabel(name: string): string {
  const s = name.replaceAll('_', ' ');
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && isUpper(s[i]!) && !isUpper(s[i - 1]!)) out += ' ';
    out += s[i];
  }
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/** "order-items" -> "OrderItems" (upstream toCamelCase, which is really PascalCase). */
function toCamelCase(s: string): string {
  return s
    .split(/[-_]/)
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
