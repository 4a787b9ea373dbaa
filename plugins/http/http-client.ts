// http.client (upstream module/http_client.go): a shared outbound HTTP client that steps name with
// `client:` (step.http_call). `base_url` is put in front of relative URLs, `timeout` (30s) bounds
// every request, `auth` signs them: none | static_bearer (`bearer_token`) |
// oauth2_client_credentials (`token_url`, `client_id`, `client_secret`, `scopes`; the token is
// cached and fetched again, and the request retried once, when the API answers 401). `headers` is
// an addition: sent with every request unless the request sets them itself.
import {
  ConfigValueError,
  defineCapability,
  type ConfigMap,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy } from '../support/index.ts';
import { ClientCredentialsTokenSource, type ClientCredentials } from './oauth2-client-credentials.ts';

const AUTH_TYPES = ['none', 'static_bearer', 'oauth2_client_credentials'] as const;

export interface HttpClientConfig {
  baseUrl?: string;
  timeoutMs: number;
  headers: Record<string, string>;
  auth:
    | { type: 'none' }
    | { type: 'static_bearer'; token: string }
    | ({ type: 'oauth2_client_credentials' } & ClientCredentials);
}

const SECRET_REF_KEYS = ['bearer_token_ref', 'client_id_from_secret', 'client_secret_from_secret'];

/** The client-credentials part of an `auth` map (also read by step.http_call's own `auth`). */
export function parseClientCredentials(auth: ConfigMap, path: Array<string | number>): ClientCredentials {
  const a = new ConfigReader(auth);
  const required = (key: string) => {
    const v = a.string(key);
    if (!v)
      throw new ConfigValueError(`"auth.${key}" is required for oauth2_client_credentials`, { path: [...path, key] });
    return v;
  };
  const tokenUrl = required('token_url');
  if (!/^https?:\/\//.test(tokenUrl))
    throw new ConfigValueError(`"auth.token_url" must be an http(s) URL, got "${tokenUrl}"`, {
      path: [...path, 'token_url'],
    });
  return {
    tokenUrl,
    clientId: required('client_id'),
    clientSecret: required('client_secret'),
    scopes: a.stringList('scopes'),
  };
}

export function parseHttpClient(config: ConfigMap): HttpClientConfig {
  const cfg = new ConfigReader(config);
  const baseUrl = cfg.string('base_url') || undefined;
  if (baseUrl !== undefined && !URL.canParse(baseUrl))
    throw new ConfigValueError(`"base_url" must be an absolute URL such as https://api.example.com, got "${baseUrl}"`, {
      path: ['base_url'],
    });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg.map('headers') ?? {})) {
    if (typeof v === 'object' && v !== null)
      throw new ConfigValueError(`"headers.${k}" must be a string`, { path: ['headers', k] });
    headers[k] = String(v);
  }
  const authMap = cfg.map('auth') ?? {};
  const a = new ConfigReader(authMap);
  for (const key of [...SECRET_REF_KEYS, 'token_secrets'])
    if (a.has(key))
      throw new ConfigValueError(`"auth.${key}" needs a secrets provider module, which this engine does not have`, {
        path: ['auth', key],
        hint: 'put the value in an environment variable and write it inline, e.g. client_secret: ${API_CLIENT_SECRET}',
      });
  const type = a.string('type', 'none') || 'none';
  let auth: HttpClientConfig['auth'];
  if (type === 'none') auth = { type };
  else if (type === 'static_bearer') {
    const token = a.string('bearer_token');
    if (!token)
      throw new ConfigValueError('"auth.bearer_token" is required for static_bearer', {
        path: ['auth', 'bearer_token'],
      });
    auth = { type, token };
  } else if (type === 'oauth2_client_credentials') auth = { type, ...parseClientCredentials(authMap, ['auth']) };
  else
    throw new ConfigValueError(
      `"auth.type" must be one of ${AUTH_TYPES.join(', ')}; got "${type}"` +
        (type === 'oauth2_refresh_token' ? ' (oauth2_refresh_token needs a secrets provider module: not built)' : ''),
      { path: ['auth', 'type'] },
    );
  return { baseUrl, timeoutMs: cfg.duration('timeout', 30_000)!, headers, auth };
}

export const httpClientSchema: TypeSchema = {
  description: 'Shared outbound HTTP client (base URL, timeout, bearer or OAuth2 client-credentials auth)',
  configFields: [
    { key: 'base_url', type: 'string', description: 'put in front of relative request URLs' },
    { key: 'timeout', type: 'duration', default: '30s' },
    { key: 'headers', type: 'map', description: 'sent with every request (an addition to upstream)' },
    {
      key: 'auth',
      type: 'map',
      description:
        'type: none | static_bearer (bearer_token) | ' +
        'oauth2_client_credentials (token_url, client_id, client_secret, scopes)',
    },
  ],
  validate: checkedBy(parseHttpClient),
};

export interface HttpClient {
  /** Sends a request through the client: base URL, default headers, auth and timeout applied. */
  request(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
  ): Promise<Response>;
  /** The absolute URL a request for `url` goes to. */
  resolveUrl(url: string): string;
}

export const HttpClientCap = defineCapability<HttpClient>('HttpClient', 'request', 'resolveUrl');

export class HttpClientModule implements Module, HttpClient {
  readonly type = 'http.client';
  private readonly baseUrl?: string;
  private readonly tokens?: ClientCredentialsTokenSource;

  constructor(
    readonly name: string,
    private readonly cfg: HttpClientConfig,
  ) {
    this.baseUrl = cfg.baseUrl;
    if (cfg.auth.type === 'oauth2_client_credentials')
      this.tokens = new ClientCredentialsTokenSource(cfg.auth, `http.client "${name}"`, cfg.timeoutMs);
  }

  /** Relative URLs go under `base_url` (its path kept: base /v1 + "users" = /v1/users). */
  resolveUrl(url: string): string {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
    if (!this.baseUrl)
      throw new Error(`http.client "${this.name}": "${url}" is a relative URL and the client has no base_url`);
    return `${this.baseUrl.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
  }

  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const target = this.resolveUrl(url);
    const signal = init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(this.cfg.timeoutMs)])
      : AbortSignal.timeout(this.cfg.timeoutMs);
    const given = new Set(Object.keys(init.headers ?? {}).map((k) => k.toLowerCase()));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.cfg.headers)) if (!given.has(k.toLowerCase())) headers[k] = v;
    Object.assign(headers, init.headers);
    const send = async () => {
      if (this.cfg.auth.type === 'static_bearer') headers.Authorization = `Bearer ${this.cfg.auth.token}`;
      else if (this.tokens) headers.Authorization = `Bearer ${await this.tokens.get()}`;
      return fetch(target, { method: init.method ?? 'GET', headers, body: init.body, signal });
    };
    const res = await send();
    if (res.status !== 401 || !this.tokens) return res;
    // the token was revoked or rotated early: drop it, fetch a new one, retry once (as upstream)
    await res.body?.cancel();
    this.tokens.invalidate();
    return send();
  }
}

export const createHttpClient: ModuleFactory = (spec) => new HttpClientModule(spec.name, parseHttpClient(spec.config));
