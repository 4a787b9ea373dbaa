// step.graphql (upstream module/pipeline_step_graphql.go): a GraphQL client. POSTs {query, variables}
// as JSON to `url` and reads the standard {data, errors, extensions} answer.
// `query` (templates allowed; `fragments` are put in front), `variables` (map of templates),
// `data_path` (dotted path into `data`), `headers` (templates), `auth` (bearer {token} | basic
// {username, password} | api_key {key, header: X-API-Key} | oauth2_client_credentials {token_url,
// client_id, client_secret, scopes}: token cached, refreshed once on 401), `timeout` (30s, the whole
// step), `fail_on_graphql_errors` (true: a response with `errors` fails the step with the first
// message), `retry_on_network_error` (one retry when no HTTP answer came).
// Modes, as upstream: `introspection: {enabled}` sends the standard introspection query (+ schema,
// types); `batch: {queries: [{query, variables}]}` sends one array request (-> {results,
// status_code}); `pagination` {strategy cursor|offset, ...} follows pages (-> {data: all items,
// errors, has_errors, page_count, total_items, status_code}); `persisted_query: {enabled, sha256}`
// sends the hash first and the full query on PersistedQueryNotFound.
// Output (single request): {data, full_data, errors, raw, status_code, has_errors, extensions}.
import { createHash } from 'node:crypto';
import {
  ConfigValueError,
  formatValue,
  type CompiledValue,
  type ConfigMap,
  type PipelineContext,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { HttpClientModule, parseClientCredentials } from '../http/index.ts';
import { ConfigReader, checkedBy, isPlainObject } from '../support/index.ts';

const AUTH_TYPES = ['bearer', 'basic', 'api_key', 'oauth2_client_credentials'] as const;
const STRATEGIES = ['cursor', 'offset'] as const;
const MAX_RESPONSE_BYTES = 10 << 20;

export const graphqlSchema: TypeSchema = {
  description: 'Sends a GraphQL query or mutation and returns its data (pagination, batching, introspection, APQ)',
  configFields: [
    { key: 'url', type: 'string', required: true, description: 'GraphQL endpoint (template)' },
    { key: 'query', type: 'string', description: 'query or mutation (template); required unless batch/introspection' },
    { key: 'variables', type: 'map', description: 'name -> value (templates)' },
    { key: 'data_path', type: 'string', description: 'dotted path into data, e.g. "user.orders"' },
    { key: 'headers', type: 'map', description: 'extra request headers (templates)' },
    { key: 'fragments', type: 'array', description: 'fragment definitions put in front of the query' },
    { key: 'auth', type: 'map', description: `type: ${AUTH_TYPES.join(' | ')}` },
    { key: 'timeout', type: 'duration', default: '30s' },
    { key: 'fail_on_graphql_errors', type: 'boolean', default: true },
    { key: 'retry_on_network_error', type: 'boolean', default: false },
    {
      key: 'pagination',
      type: 'map',
      description:
        'strategy cursor (page_info_path, cursor_variable, has_next_field, cursor_field) | ' +
        'offset (offset_variable, max_per_page); max_pages (10)',
    },
    { key: 'batch', type: 'map', description: 'queries: [{query, variables}] sent as one array request' },
    { key: 'introspection', type: 'map', description: 'enabled: true sends the standard introspection query' },
    { key: 'persisted_query', type: 'map', description: 'enabled: true, sha256 (default: of the query)' },
  ],
  outputs: [
    { key: 'data', type: 'any', description: 'data, or the value at data_path (all items when paginated)' },
    { key: 'full_data', type: 'any', description: 'data before data_path' },
    { key: 'errors', type: 'array', description: 'GraphQL errors ([] when none)' },
    { key: 'has_errors', type: 'boolean' },
    { key: 'raw', type: 'map', description: 'the whole response document' },
    { key: 'extensions', type: 'any' },
    { key: 'status_code', type: 'number' },
    { key: 'results', type: 'array', description: 'batch: one response per query' },
    { key: 'page_count', type: 'number', description: 'pagination' },
    { key: 'total_items', type: 'number', description: 'pagination' },
    { key: 'schema', type: 'map', description: 'introspection: __schema' },
    { key: 'types', type: 'array', description: 'introspection: __schema.types' },
  ],
  validate: checkedBy((config) => parseGraphql(config)),
};

type Auth =
  | { type: 'none' }
  | { type: 'bearer' | 'basic' | 'api_key'; headers: ConfigMap }
  | { type: 'oauth2_client_credentials'; client: HttpClientModule };

interface Pagination {
  strategy: (typeof STRATEGIES)[number];
  pageInfoPath: string;
  cursorVariable: string;
  hasNextField: string;
  cursorField: string;
  offsetVariable: string;
  maxPages: number;
  maxPerPage: number;
}

interface GraphqlConfig {
  url: string;
  query: string;
  variables?: ConfigMap;
  dataPath?: string;
  headers: ConfigMap;
  fragments: string[];
  authMap: ConfigMap;
  authType: (typeof AUTH_TYPES)[number] | 'none';
  timeoutMs: number;
  failOnErrors: boolean;
  retryOnNetworkError: boolean;
  pagination?: Pagination;
  batch?: Array<{ query: string; variables?: ConfigMap }>;
  introspection: boolean;
  persisted?: { sha256?: string };
}

/** Errors in a nested map point at the nested key (pagination.max_pages, not max_pages). */
function nested<T>(prefix: Array<string | number>, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof ConfigValueError)
      throw new ConfigValueError(err.message.replace(/^"/, `"${prefix.join('.')}.`), {
        path: [...prefix, ...err.path],
        hint: err.hint,
      });
    throw err;
  }
}

function parseGraphql(config: ConfigMap): GraphqlConfig {
  const cfg = new ConfigReader(config);
  const url = cfg.requiredString('url', 'url: https://api.example.com/graphql');
  const batchMap = cfg.map('batch');
  const introspection = nested(
    ['introspection'],
    () => new ConfigReader(cfg.map('introspection') ?? {}).boolean('enabled', false)!,
  );
  const query = cfg.string('query', '')!;
  if (query.trim() === '' && !batchMap && !introspection)
    throw new ConfigValueError('"query" is required (unless introspection or batch is configured)', {
      path: ['query'],
      hint: 'query: "query($id: ID!) { user(id: $id) { name } }"',
    });
  const batch = batchMap
    ? nested(['batch'], () =>
        new ConfigReader(batchMap).list('queries').map((q, i) => {
          if (!isPlainObject(q) || typeof q.query !== 'string' || q.query.trim() === '')
            throw new ConfigValueError(`"queries[${i}]" must be a map with a "query" string`, { path: ['queries', i] });
          const vars = q.variables;
          if (vars !== undefined && !isPlainObject(vars))
            throw new ConfigValueError(`"queries[${i}].variables" must be a map`, {
              path: ['queries', i, 'variables'],
            });
          return { query: q.query, variables: vars };
        }),
      )
    : undefined;
  if (batch && batch.length === 0)
    throw new ConfigValueError('"batch.queries" must list at least one {query, variables}', {
      path: ['batch', 'queries'],
    });
  const pagMap = cfg.map('pagination');
  const pagination = pagMap ? nested(['pagination'], () => parsePagination(new ConfigReader(pagMap))) : undefined;
  const persistedMap = cfg.map('persisted_query');
  const persisted =
    persistedMap && nested(['persisted_query'], () => new ConfigReader(persistedMap).boolean('enabled', false))
      ? { sha256: nested(['persisted_query'], () => new ConfigReader(persistedMap).string('sha256')) || undefined }
      : undefined;
  const authMap = cfg.map('auth') ?? {};
  const authType = nested(['auth'], () =>
    new ConfigReader(authMap).oneOf<GraphqlConfig['authType']>('type', [...AUTH_TYPES, 'none'], 'none'),
  );
  if (authType === 'oauth2_client_credentials') parseClientCredentials(authMap, ['auth']);
  const headers = cfg.map('headers') ?? {};
  for (const [k, v] of Object.entries(headers))
    if (typeof v === 'object' && v !== null)
      throw new ConfigValueError(`"headers.${k}" must be a string`, { path: ['headers', k] });
  return {
    url,
    query,
    variables: cfg.map('variables'),
    dataPath: cfg.string('data_path') || undefined,
    headers,
    fragments: cfg.stringList('fragments'),
    authMap,
    authType,
    timeoutMs: cfg.duration('timeout', 30_000)!,
    failOnErrors: cfg.boolean('fail_on_graphql_errors', true)!,
    retryOnNetworkError: cfg.boolean('retry_on_network_error', false)!,
    pagination,
    batch,
    introspection,
    persisted,
  };
}

function parsePagination(p: ConfigReader): Pagination {
  const strategy = p.oneOf('strategy', STRATEGIES, 'cursor');
  const positive = (key: string, fallback: number) => {
    const n = p.number(key, fallback)!;
    if (!Number.isInteger(n) || n < 1)
      throw new ConfigValueError(`"${key}" must be a whole number of at least 1, got ${n}`, { path: [key] });
    return n;
  };
  const pagination: Pagination = {
    strategy,
    pageInfoPath: p.string('page_info_path', '')!,
    cursorVariable: p.string('cursor_variable', '')!,
    // Relay's names when unset (upstream has no default, which stops after one page)
    hasNextField: p.string('has_next_field', 'hasNextPage')!,
    cursorField: p.string('cursor_field', 'endCursor')!,
    offsetVariable: p.string('offset_variable', 'offset')!,
    maxPages: positive('max_pages', 10),
    maxPerPage: positive('max_per_page', 100),
  };
  if (strategy === 'cursor')
    for (const key of ['page_info_path', 'cursor_variable'] as const)
      if (!p.string(key))
        throw new ConfigValueError(`"${key}" is required for cursor pagination`, {
          path: [key],
          hint: 'page_info_path: users.pageInfo, cursor_variable: after',
        });
  return pagination;
}

const INTROSPECTION_QUERY = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      kind name description
      fields(includeDeprecated: true) {
        name description
        args { name description type { kind name ofType { kind name ofType { kind name } } } defaultValue }
        type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
        isDeprecated deprecationReason
      }
      inputFields { name description type { kind name ofType { kind name } } defaultValue }
      interfaces { kind name }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
      possibleTypes { kind name }
    }
    directives {
      name description locations
      args { name description type { kind name ofType { kind name } } defaultValue }
    }
  }
}`;

/** Walk a dotted path through maps only (upstream extractDataPath: lists stop the walk). */
function extractDataPath(data: unknown, path: string): unknown {
  let cur = data;
  for (const part of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = Object.hasOwn(cur, part) ? cur[part] : undefined;
  }
  return cur;
}

class StatusError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const createGraphqlStep: StepFactory = (spec, ctx) => {
  const cfg = parseGraphql(spec.config);
  const label = `graphql step "${spec.name}"`;
  const url = ctx.templates.compile(cfg.url, ['url']);
  const fullQuery = ctx.templates.compile(
    cfg.fragments.length > 0 ? `${cfg.fragments.join('\n')}\n${cfg.query}` : cfg.query,
    ['query'],
  );
  const variables = cfg.variables ? ctx.templates.compile(cfg.variables, ['variables']) : undefined;
  const batch = cfg.batch?.map((q, i) => ({
    query: cfg.fragments.length > 0 ? `${cfg.fragments.join('\n')}\n${q.query}` : q.query,
    variables: q.variables ? ctx.templates.compile(q.variables, ['batch', 'queries', i, 'variables']) : undefined,
  }));
  const headers = ctx.templates.compile(cfg.headers, ['headers']);
  const auth: Auth =
    cfg.authType === 'oauth2_client_credentials'
      ? {
          type: cfg.authType,
          // one implementation of token fetch, cache and refresh-on-401: an http.client of the step's own
          client: new HttpClientModule(spec.name, {
            timeoutMs: cfg.timeoutMs,
            headers: {},
            auth: { type: 'oauth2_client_credentials', ...parseClientCredentials(cfg.authMap, ['auth']) },
          }),
        }
      : cfg.authType === 'none'
        ? { type: 'none' }
        : { type: cfg.authType, headers: cfg.authMap };
  const authHeaders =
    auth.type !== 'none' && auth.type !== 'oauth2_client_credentials'
      ? ctx.templates.compile(auth.headers, ['auth'])
      : undefined;

  const requestHeaders = (pc: PipelineContext): Record<string, string> => {
    const h: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    for (const [k, v] of Object.entries(headers.resolve(pc) as ConfigMap)) h[k] = formatValue(v);
    if (authHeaders) {
      const a = authHeaders.resolve(pc) as ConfigMap;
      const s = (key: string) => (a[key] === undefined || a[key] === null ? '' : formatValue(a[key]));
      if (auth.type === 'bearer') h.Authorization = `Bearer ${s('token')}`;
      else if (auth.type === 'basic')
        h.Authorization = `Basic ${Buffer.from(`${s('username')}:${s('password')}`).toString('base64')}`;
      else if (auth.type === 'api_key') h[s('header') || 'X-API-Key'] = s('key');
    }
    return h;
  };

  /** POST one JSON document; the parsed answer, or a StatusError (status 0: no HTTP answer). */
  const post = async (target: string, body: unknown, h: Record<string, string>, signal: AbortSignal) => {
    const send = async (): Promise<Response> => {
      const init = { method: 'POST', headers: h, body: JSON.stringify(body), signal };
      try {
        return auth.type === 'oauth2_client_credentials'
          ? await auth.client.request(target, init)
          : await fetch(target, init);
      } catch (err) {
        const e = err as Error;
        const why =
          e.name === 'TimeoutError' || signal.aborted
            ? `timed out after ${cfg.timeoutMs} ms`
            : ((e.cause as Error)?.message ?? e.message);
        throw new StatusError(`${label}: request to ${target} failed: ${why}`, 0);
      }
    };
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      if (!cfg.retryOnNetworkError || signal.aborted) throw err;
      res = await send();
    }
    const buf = Buffer.from(await res.arrayBuffer());
    const text = buf.subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
    if (res.status === 401) throw new StatusError(`${label}: received 401 Unauthorized`, 401);
    if (res.status !== 200) throw new StatusError(`${label}: HTTP ${res.status}: ${text.slice(0, 500)}`, res.status);
    try {
      return { status: res.status, json: JSON.parse(text) as unknown };
    } catch (err) {
      throw new StatusError(`${label}: failed to parse response JSON: ${(err as Error).message}`, res.status);
    }
  };

  /** Upstream's step error for a response with GraphQL errors: the first error's message. */
  const graphqlFailure = (errors: unknown[]): Error => {
    const first = errors[0];
    const message = isPlainObject(first) && typeof first.message === 'string' ? first.message : 'graphql error';
    return new Error(`${label}: ${message}`);
  };

  /** One GraphQL request -> upstream's output map (or the step error for GraphQL errors). */
  const single = async (
    target: string,
    body: ConfigMap,
    h: Record<string, string>,
    signal: AbortSignal,
    failOnErrors = cfg.failOnErrors,
  ): Promise<ConfigMap> => {
    const { status, json } = await post(target, body, h, signal);
    if (!isPlainObject(json)) throw new Error(`${label}: the response is not a GraphQL document (a JSON object)`);
    const errors = Array.isArray(json.errors) ? json.errors : [];
    if (errors.length > 0 && failOnErrors) throw graphqlFailure(errors);
    const data = json.data ?? null;
    return {
      data: cfg.dataPath && data !== null ? (extractDataPath(data, cfg.dataPath) ?? null) : data,
      full_data: data,
      errors,
      raw: json,
      status_code: status,
      has_errors: errors.length > 0,
      extensions: json.extensions ?? null,
    };
  };

  const resolveVars = (pc: PipelineContext, compiled?: CompiledValue): ConfigMap | undefined =>
    compiled ? (compiled.resolve(pc) as ConfigMap) : undefined;

  const paginate = async (pc: PipelineContext, target: string, h: Record<string, string>, signal: AbortSignal) => {
    const p = cfg.pagination!;
    const query = String(fullQuery.resolve(pc));
    const items: unknown[] = [];
    const errors: unknown[] = [];
    let pages = 0;
    let cursor: unknown;
    let offset = 0;
    while (pages < p.maxPages) {
      const vars: ConfigMap = { ...(resolveVars(pc, variables) ?? {}) };
      if (p.strategy === 'cursor' && cursor !== undefined) vars[p.cursorVariable] = cursor;
      if (p.strategy === 'offset') vars[p.offsetVariable] = offset;
      const page = await single(
        target,
        Object.keys(vars).length > 0 ? { query, variables: vars } : { query },
        h,
        signal,
      );
      errors.push(...(page.errors as unknown[]));
      pages++;
      const full = page.full_data;
      const pageItems = cfg.dataPath ? extractDataPath(full, cfg.dataPath) : full;
      if (p.strategy === 'cursor') {
        if (Array.isArray(pageItems)) items.push(...pageItems);
        const info = extractDataPath(full, p.pageInfoPath);
        if (!isPlainObject(info) || info[p.hasNextField] !== true) break;
        cursor = info[p.cursorField];
        if (cursor === undefined || cursor === null) break;
      } else {
        if (!Array.isArray(pageItems) || pageItems.length === 0) break;
        items.push(...pageItems);
        if (pageItems.length < p.maxPerPage) break;
        offset += pageItems.length;
      }
    }
    return {
      data: items,
      errors,
      has_errors: errors.length > 0,
      page_count: pages,
      total_items: items.length,
      status_code: 200,
    };
  };

  const persistedQuery = async (
    pc: PipelineContext,
    target: string,
    h: Record<string, string>,
    signal: AbortSignal,
  ) => {
    const query = String(fullQuery.resolve(pc));
    const sha256Hash = cfg.persisted!.sha256 ?? createHash('sha256').update(query).digest('hex');
    const vars = resolveVars(pc, variables);
    const body: ConfigMap = { extensions: { persistedQuery: { version: 1, sha256Hash } } };
    if (vars) body.variables = vars;
    try {
      const first = await single(target, body, h, signal, false);
      const notFound = (first.errors as unknown[]).some(
        (e) => isPlainObject(e) && typeof e.message === 'string' && e.message.includes('PersistedQueryNotFound'),
      );
      if (!notFound) {
        if (first.has_errors && cfg.failOnErrors) throw graphqlFailure(first.errors as unknown[]);
        return first;
      }
    } catch (err) {
      if (!(err instanceof StatusError) || err.status === 0 || err.status === 401) throw err;
      // some servers answer an unknown hash with a 4xx: send the full query, as on PersistedQueryNotFound
    }
    return single(target, { ...body, query }, h, signal);
  };

  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const signal = AbortSignal.any([pc.signal, AbortSignal.timeout(cfg.timeoutMs)]);
      const target = String(url.resolve(pc));
      if (!URL.canParse(target)) throw new Error(`${label}: "${target}" is not an absolute URL`);
      const h = requestHeaders(pc);
      if (cfg.introspection) {
        const output = await single(target, { query: INTROSPECTION_QUERY }, h, signal);
        const schema = isPlainObject(output.full_data) ? output.full_data.__schema : undefined;
        if (isPlainObject(schema)) Object.assign(output, { schema, types: schema.types });
        return { output };
      }
      if (batch) {
        const body = batch.map((q) => {
          const vars = resolveVars(pc, q.variables);
          return vars ? { query: q.query, variables: vars } : { query: q.query };
        });
        const { status, json } = await post(target, body, h, signal);
        if (!Array.isArray(json)) throw new Error(`${label}: the batch response is not a JSON array`);
        return { output: { results: json, status_code: status } };
      }
      if (cfg.pagination) return { output: await paginate(pc, target, h, signal) };
      if (cfg.persisted) return { output: await persistedQuery(pc, target, h, signal) };
      const vars = resolveVars(pc, variables);
      const query = String(fullQuery.resolve(pc));
      return { output: await single(target, vars ? { query, variables: vars } : { query }, h, signal) };
    },
  };
};
