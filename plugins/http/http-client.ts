// http.client (upstream module/http_client.go): a shared outbound HTTP client that steps name with
// `client:` (step.http_call). `base_url` is put in front of relative URLs, `timeout` (30s) bounds
// every request, `auth` signs them: none | static_bearer (`bearer_token`) |
// oauth2_client_credentials (`token_url`, `client_id`, `client_secret`, `scopes`; the token is
// cached and fetched again, and the request retried once, when the API answers 401) |
// oauth2_refresh_token (the token lives in a secrets provider, `token_secrets` at
// `token_secrets_key`, and is refreshed and written back there). `bearer_token_ref`,
// `client_id_from_secret` and `client_secret_from_secret` ({provider, key}) read those values from a
// secrets provider module at start when the inline value is empty, as upstream. `headers` is an
// addition: sent with every request unless the request sets them itself.
import {
  ConfigValueError,
  defineCapability,
  SecretsProviderCap,
  type AppContext,
  type ConfigMap,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy, describe } from '../support/index.ts';
import { ClientCredentialsTokenSource, type ClientCredentials } from './oauth2-client-credentials.ts';
import { RefreshTokenSource } from './oauth2-refresh-token.ts';

const AUTH_TYPES = ['none', 'static_bearer', 'oauth2_client_credentials', 'oauth2_refresh_token'] as const;

/** A value kept in a secrets provider module: `{provider: <module name>, key: <its key syntax>}`. */
export interface SecretRef {
  provider: string;
  key: string;
}

/** Credentials that may come from a secrets provider (resolved at start; the inline value wins). */
interface CredentialRefs {
  clientIdRef?: SecretRef;
  clientSecretRef?: SecretRef;
}

export interface HttpClientConfig {
  baseUrl?: string;
  timeoutMs: number;
  headers: Record<string, string>;
  auth:
    | { type: 'none' }
    | { type: 'static_bearer'; token: string; tokenRef?: SecretRef }
    | ({ type: 'oauth2_client_credentials' } & ClientCredentials & CredentialRefs)
    | ({ type: 'oauth2_refresh_token'; tokenSecrets: string; tokenSecretsKey: string } & ClientCredentials &
        CredentialRefs);
}

/** The client-credentials part of an `auth` map (also read by step.http_call's own `auth`). */
export function parseClientCredentials(auth: ConfigMap, path: Array<string | number>): ClientCredentials {
  return oauthFields(auth, path, 'oauth2_client_credentials', false);
}

/** token_url, client_id, client_secret, scopes; with `refs`, an id or secret may come from a secrets provider. */
function oauthFields(
  auth: ConfigMap,
  path: Array<string | number>,
  type: string,
  refs: boolean,
): ClientCredentials & CredentialRefs {
  const a = new ConfigReader(auth);
  const credential = (key: string) => {
    const value = a.string(key) ?? '';
    const ref = refs ? parseSecretRef(auth, `${key}_from_secret`, path) : undefined;
    if (!value && !ref)
      throw new ConfigValueError(
        `"auth.${key}" is required for ${type}` + (refs ? ` (or "auth.${key}_from_secret": {provider, key})` : ''),
        { path: [...path, key] },
      );
    return { value, ref: value ? undefined : ref };
  };
  const tokenUrl = a.string('token_url') ?? '';
  if (!tokenUrl)
    throw new ConfigValueError(`"auth.token_url" is required for ${type}`, { path: [...path, 'token_url'] });
  if (!/^https?:\/\//.test(tokenUrl))
    throw new ConfigValueError(`"auth.token_url" must be an http(s) URL, got "${tokenUrl}"`, {
      path: [...path, 'token_url'],
    });
  const id = credential('client_id');
  const secret = credential('client_secret');
  return {
    tokenUrl,
    clientId: id.value,
    clientSecret: secret.value,
    scopes: a.stringList('scopes'),
    clientIdRef: id.ref,
    clientSecretRef: secret.ref,
  };
}

function parseSecretRef(auth: ConfigMap, key: string, path: Array<string | number>): SecretRef | undefined {
  const raw = auth[key];
  if (raw === undefined || raw === null) return undefined;
  const at = [...path, key];
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigValueError(`"auth.${key}" must be a map {provider, key}, got ${describe(raw)}`, { path: at });
  const r = new ConfigReader(raw as ConfigMap);
  const provider = r.string('provider') ?? '';
  const secretKey = r.string('key') ?? '';
  if (!provider)
    throw new ConfigValueError(`"auth.${key}.provider" is required: the secrets module to read from`, {
      path: [...at, 'provider'],
    });
  if (!secretKey)
    throw new ConfigValueError(`"auth.${key}.key" is required: the secret's key in "${provider}"`, {
      path: [...at, 'key'],
    });
  return { provider, key: secretKey };
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
  const type = a.string('type', 'none') || 'none';
  let auth: HttpClientConfig['auth'];
  if (type === 'none') auth = { type };
  else if (type === 'static_bearer') {
    const token = a.string('bearer_token') ?? '';
    const tokenRef = parseSecretRef(authMap, 'bearer_token_ref', ['auth']);
    if (!token && !tokenRef)
      throw new ConfigValueError(
        '"auth.bearer_token" is required for static_bearer (or "auth.bearer_token_ref": {provider, key})',
        { path: ['auth', 'bearer_token'] },
      );
    auth = { type, token, tokenRef: token ? undefined : tokenRef };
  } else if (type === 'oauth2_client_credentials') auth = { type, ...oauthFields(authMap, ['auth'], type, true) };
  else if (type === 'oauth2_refresh_token') {
    const tokenSecrets = a.string('token_secrets') ?? '';
    if (!tokenSecrets)
      throw new ConfigValueError('"auth.token_secrets" is required for oauth2_refresh_token', {
        path: ['auth', 'token_secrets'],
        hint: 'name the secrets module (e.g. secrets.vault) that holds the OAuth2 token',
      });
    auth = {
      type,
      tokenSecrets,
      tokenSecretsKey: a.string('token_secrets_key') || 'oauth_token',
      ...oauthFields(authMap, ['auth'], type, true),
    };
  } else
    throw new ConfigValueError(`"auth.type" must be one of ${AUTH_TYPES.join(', ')}; got "${type}"`, {
      path: ['auth', 'type'],
    });
  return { baseUrl, timeoutMs: cfg.duration('timeout', 30_000)!, headers, auth };
}

export const httpClientSchema: TypeSchema = {
  description: 'Shared outbound HTTP client (base URL, timeout, bearer or OAuth2 auth)',
  configFields: [
    { key: 'base_url', type: 'string', description: 'put in front of relative request URLs' },
    { key: 'timeout', type: 'duration', default: '30s' },
    { key: 'headers', type: 'map', description: 'sent with every request (an addition to upstream)' },
    {
      key: 'auth',
      type: 'map',
      description:
        'type: none | static_bearer (bearer_token or bearer_token_ref) | ' +
        'oauth2_client_credentials (token_url, client_id, client_secret, scopes) | ' +
        'oauth2_refresh_token (those and token_secrets, token_secrets_key); ' +
        'client_id_from_secret / client_secret_from_secret / bearer_token_ref: {provider, key}',
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

/** An OAuth2 access-token source: cached, fetched again after invalidate (a 401 from the API). */
interface TokenSource {
  get(): Promise<string>;
  invalidate(): void;
}

export class HttpClientModule implements Module, HttpClient {
  readonly type = 'http.client';
  private readonly baseUrl?: string;
  private bearer?: string;
  private tokens?: TokenSource;
  private started: boolean;

  constructor(
    readonly name: string,
    private readonly cfg: HttpClientConfig,
  ) {
    this.baseUrl = cfg.baseUrl;
    const auth = cfg.auth;
    // inline credentials need nothing at start (step.http_call builds a client it never starts)
    this.started = !needsStart(auth);
    if (!this.started) return;
    if (auth.type === 'static_bearer') this.bearer = auth.token;
    if (auth.type === 'oauth2_client_credentials')
      this.tokens = new ClientCredentialsTokenSource(auth, `http.client "${name}"`, cfg.timeoutMs);
  }

  /** Reads the secret references (upstream Start), and wires the secrets-backed refresh-token source. */
  async start(app: AppContext): Promise<void> {
    if (this.started) return;
    const auth = this.cfg.auth;
    const owner = `http.client "${this.name}"`;
    const read = async (ref: SecretRef | undefined, key: string, inline: string) => {
      if (!ref) return inline;
      const store = secretsModule(app, ref.provider, `auth.${key}`, owner);
      try {
        return await store.getSecret(ref.key);
      } catch (err) {
        throw new Error(`${owner}: resolving ${key}: ${(err as Error).message}`);
      }
    };
    if (auth.type === 'static_bearer') this.bearer = await read(auth.tokenRef, 'bearer_token_ref', auth.token);
    if (auth.type === 'oauth2_client_credentials' || auth.type === 'oauth2_refresh_token') {
      const creds: ClientCredentials = {
        tokenUrl: auth.tokenUrl,
        clientId: await read(auth.clientIdRef, 'client_id_from_secret', auth.clientId),
        clientSecret: await read(auth.clientSecretRef, 'client_secret_from_secret', auth.clientSecret),
        scopes: auth.scopes,
      };
      this.tokens =
        auth.type === 'oauth2_client_credentials'
          ? new ClientCredentialsTokenSource(creds, owner, this.cfg.timeoutMs)
          : new RefreshTokenSource(creds, {
              store: secretsModule(app, auth.tokenSecrets, 'auth.token_secrets', owner),
              storeName: auth.tokenSecrets,
              key: auth.tokenSecretsKey,
              owner,
              timeoutMs: this.cfg.timeoutMs,
              logger: app.logger,
            });
    }
    this.started = true;
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
    if (!this.started) throw new Error(`http.client "${this.name}" is not started`);
    const target = this.resolveUrl(url);
    const signal = init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(this.cfg.timeoutMs)])
      : AbortSignal.timeout(this.cfg.timeoutMs);
    const given = new Set(Object.keys(init.headers ?? {}).map((k) => k.toLowerCase()));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.cfg.headers)) if (!given.has(k.toLowerCase())) headers[k] = v;
    Object.assign(headers, init.headers);
    const send = async () => {
      if (this.bearer !== undefined) headers.Authorization = `Bearer ${this.bearer}`;
      else if (this.tokens) headers.Authorization = `Bearer ${await this.tokens.get()}`;
      return fetch(target, { method: init.method ?? 'GET', headers, body: init.body, signal });
    };
    const res = await send();
    if (res.status !== 401 || !this.tokens) return res;
    // the token was revoked or rotated early: drop it, fetch (or refresh) a new one, retry once (as upstream)
    await res.body?.cancel();
    this.tokens.invalidate();
    return send();
  }
}

function needsStart(auth: HttpClientConfig['auth']): boolean {
  if (auth.type === 'static_bearer') return auth.tokenRef !== undefined;
  if (auth.type === 'oauth2_client_credentials')
    return auth.clientIdRef !== undefined || auth.clientSecretRef !== undefined;
  return auth.type === 'oauth2_refresh_token';
}

function secretsModule(app: AppContext, name: string, key: string, owner: string) {
  const svc = app.services.get(name);
  if (svc === undefined)
    throw new Error(`${owner}: "${key}" names secrets module "${name}", which is not a module of this app`);
  if (!SecretsProviderCap.is(svc))
    throw new Error(`${owner}: "${key}" names module "${name}", which is not a secrets provider (secrets.vault)`);
  return svc;
}

export const createHttpClient: ModuleFactory = (spec) => new HttpClientModule(spec.name, parseHttpClient(spec.config));
