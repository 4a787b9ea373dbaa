// auth.oauth2 (upstream module/auth_oauth2.go): log users in with an OAuth2 provider's
// authorization-code flow, then hand out the app's own JWT (from the app's auth.jwt, which also
// keeps the users). Endpoints, matched by path suffix so any router prefix works:
//   GET .../auth/oauth2/{provider}/login     302 to the provider's authUrl with a one-time `state`
//                                            (also set as the oauth2_state cookie)
//   GET .../auth/oauth2/{provider}/callback  checks and uses up `state` (10 min), exchanges `code` at
//                                            tokenUrl, reads the profile from userInfoUrl, finds or
//                                            creates the user "oauth:<provider>:<id>" → {token, user}
// Users are keyed by provider and provider id only, never merged with an account by email (which
// would let a provider account take over a local one), as upstream.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigValueError,
  type AppContext,
  type ConfigMap,
  type HttpHandler,
  type Logger,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy, isPlainObject, requestPath, writeJson } from '../support/index.ts';
import type { JwtAuthModule } from './jwt-auth.ts';

interface Provider {
  name: string;
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
  scopes: string[];
  redirectUrl?: string;
}

/** The providers upstream knows by name: their endpoints and default scopes. */
const WELL_KNOWN: Record<string, Omit<Provider, 'name' | 'clientId' | 'clientSecret' | 'redirectUrl'>> = {
  google: {
    authUrl: 'https://accounts.google.com/o/oauth2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    userInfoUrl: 'https://www.googleapis.com/oauth2/v2/userinfo',
    scopes: ['openid', 'email', 'profile'],
  },
  github: {
    authUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    userInfoUrl: 'https://api.github.com/user',
    scopes: ['user:email'],
  },
};

const STATE_TTL_MS = 10 * 60_000;
const CALL_TIMEOUT_MS = 30_000;

function parseOAuth2(config: ConfigMap): Provider[] {
  const cfg = new ConfigReader(config);
  const list = cfg.list('providers');
  if (list.length === 0)
    throw new ConfigValueError('"providers" must list at least one provider', {
      path: ['providers'],
      hint: 'providers: [{name: github, clientId: ${GITHUB_CLIENT_ID}, clientSecret: ${GITHUB_CLIENT_SECRET}}]',
    });
  const seen = new Set<string>();
  return list.map((raw, i) => {
    const at = ['providers', i];
    if (!isPlainObject(raw)) throw new ConfigValueError(`"providers[${i}]" must be a map`, { path: at });
    const p = new ConfigReader(raw);
    const need = (key: string, why = '') => {
      const v = p.string(key);
      if (!v) throw new ConfigValueError(`"providers[${i}].${key}" is required${why}`, { path: [...at, key] });
      return v;
    };
    const name = need('name');
    if (!/^[A-Za-z0-9_-]+$/.test(name))
      throw new ConfigValueError(`"providers[${i}].name" must be a URL path segment (letters, digits, - and _)`, {
        path: [...at, 'name'],
      });
    if (seen.has(name)) throw new ConfigValueError(`provider "${name}" is listed twice`, { path: [...at, 'name'] });
    seen.add(name);
    const known = WELL_KNOWN[name];
    const why = known ? '' : ` for a provider other than ${Object.keys(WELL_KNOWN).join(' and ')}`;
    const url = (key: 'authUrl' | 'tokenUrl' | 'userInfoUrl') => {
      const v = p.string(key) || known?.[key] || need(key, why);
      if (!/^https?:\/\//.test(v))
        throw new ConfigValueError(`"providers[${i}].${key}" must be an http(s) URL, got "${v}"`, {
          path: [...at, key],
        });
      return v;
    };
    const scopes = p.stringList('scopes');
    return {
      name,
      clientId: need('clientId'),
      clientSecret: need('clientSecret'),
      authUrl: url('authUrl'),
      tokenUrl: url('tokenUrl'),
      userInfoUrl: url('userInfoUrl'),
      scopes: scopes.length > 0 ? scopes : (known?.scopes ?? []),
      redirectUrl: p.string('redirectUrl') || undefined,
    };
  });
}

export const oauth2Schema: TypeSchema = {
  description: "Log in with an OAuth2 provider (authorization code); answers with the app's own JWT",
  configFields: [
    {
      key: 'providers',
      type: 'json',
      required: true,
      description:
        '[{name, clientId, clientSecret, authUrl, tokenUrl, userInfoUrl, scopes, redirectUrl}]; ' +
        'google and github know their URLs',
    },
  ],
  validate: checkedBy(parseOAuth2),
};

export class OAuth2Module implements Module, HttpHandler {
  readonly type = 'auth.oauth2';
  private readonly providers: Map<string, Provider>;
  private readonly states = new Map<string, number>();
  private jwt?: JwtAuthModule;
  private logger?: Logger;

  constructor(
    readonly name: string,
    providers: Provider[],
  ) {
    this.providers = new Map(providers.map((p) => [p.name, p]));
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'auth.oauth2', module: this.name });
  }

  /** Set by the oauth2-jwt-wiring hook: the auth.jwt that keeps users and signs tokens. */
  useJwt(jwt: JwtAuthModule): void {
    this.jwt = jwt;
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req).replace(/\/+$/, '');
    const m = /\/auth\/oauth2\/([^/]+)\/(login|callback)$/.exec(path);
    if (req.method !== 'GET' || !m) return writeJson(res, 404, { error: 'not found' });
    const provider = this.providers.get(decodeURIComponent(m[1]!));
    if (!provider) return writeJson(res, 404, { error: `unknown provider: ${m[1]}` });
    if (m[2] === 'login') return this.login(res, provider);
    try {
      await this.callback(req, res, provider);
    } catch (err) {
      this.logger?.error({ err: (err as Error).message, provider: provider.name }, 'oauth2 callback failed');
      writeJson(res, 500, { error: 'internal error' });
    }
  }

  private login(res: ServerResponse, provider: Provider): void {
    const state = randomBytes(32).toString('base64url');
    const now = Date.now();
    for (const [s, exp] of this.states) if (exp <= now) this.states.delete(s);
    this.states.set(state, now + STATE_TTL_MS);
    const url = new URL(provider.authUrl);
    url.searchParams.set('client_id', provider.clientId);
    if (provider.redirectUrl) url.searchParams.set('redirect_uri', provider.redirectUrl);
    url.searchParams.set('response_type', 'code');
    if (provider.scopes.length > 0) url.searchParams.set('scope', provider.scopes.join(' '));
    url.searchParams.set('state', state);
    url.searchParams.set('access_type', 'online');
    res.writeHead(302, {
      Location: url.toString(),
      'Set-Cookie': `oauth2_state=${state}; Path=/; Max-Age=${STATE_TTL_MS / 1000}; HttpOnly; Secure; SameSite=Lax`,
    });
    res.end();
  }

  private async callback(req: IncomingMessage, res: ServerResponse, provider: Provider): Promise<void> {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const state = query.get('state') ?? '';
    const expires = this.states.get(state);
    this.states.delete(state);
    if (expires === undefined || expires <= Date.now())
      return writeJson(res, 400, { error: 'invalid or expired state parameter' });
    const code = query.get('code');
    if (!code) return writeJson(res, 400, { error: 'missing authorization code' });
    const exchanged = await this.exchange(provider, code);
    if ('error' in exchanged) return writeJson(res, 400, { error: `token exchange failed: ${exchanged.error}` });
    const info = await this.userInfo(provider, exchanged.accessToken);
    if ('error' in info) return writeJson(res, 500, { error: `failed to fetch user info: ${info.error}` });
    if (!this.jwt) return writeJson(res, 500, { error: 'jwt auth module not configured' });
    const id = firstString(info.profile, 'id', 'sub');
    if (!id) return writeJson(res, 500, { error: 'failed to provision user: provider did not return a user id' });
    const user = this.jwt.oauthUser(oauthKey(provider.name, id), firstString(info.profile, 'name', 'login') ?? '', {
      role: 'user',
      oauthProvider: provider.name,
      oauthId: id,
    });
    const issued = this.jwt.tokenResponse(user);
    writeJson(res, 200, { token: issued.token, user: issued.user });
  }

  /**
   * RFC 6749 4.1.3. The client authenticates with HTTP Basic; a provider that refuses that client
   * authentication is asked again with the credentials in the form, as Go's oauth2 package does.
   */
  private async exchange(provider: Provider, code: string): Promise<{ accessToken: string } | { error: string }> {
    const form = new URLSearchParams({ grant_type: 'authorization_code', code });
    if (provider.redirectUrl) form.set('redirect_uri', provider.redirectUrl);
    // RFC 6749 2.3.1: id and secret form-urlencoded, then joined for Basic
    const pair = `${encodeURIComponent(provider.clientId)}:${encodeURIComponent(provider.clientSecret)}`;
    const basic = `Basic ${Buffer.from(pair).toString('base64')}`;
    let answer = await this.tokenRequest(provider, form, { authorization: basic });
    if ('error' in answer && answer.retry) {
      const inParams = new URLSearchParams(form);
      inParams.set('client_id', provider.clientId);
      inParams.set('client_secret', provider.clientSecret);
      answer = await this.tokenRequest(provider, inParams, {});
    }
    return 'error' in answer ? { error: answer.error } : answer;
  }

  private async tokenRequest(
    provider: Provider,
    form: URLSearchParams,
    headers: Record<string, string>,
  ): Promise<{ accessToken: string } | { error: string; retry: boolean }> {
    let res: Response;
    try {
      res = await fetch(provider.tokenUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (err) {
      return {
        error: `${provider.tokenUrl}: ${((err as Error).cause as Error)?.message ?? (err as Error).message}`,
        retry: false,
      };
    }
    const text = await res.text();
    // JSON (RFC 6749 5.1), or the form encoding GitHub answers without Accept: application/json
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = Object.fromEntries(new URLSearchParams(text));
    }
    const token = body.access_token;
    if (res.ok && typeof token === 'string' && token !== '') return { accessToken: token };
    const why = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`;
    const detail = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    // only a refused client authentication may go better with the credentials in the form
    return { error: `${why}${detail}`, retry: res.status === 401 || body.error === 'invalid_client' };
  }

  private async userInfo(provider: Provider, accessToken: string): Promise<{ profile: ConfigMap } | { error: string }> {
    let res: Response;
    try {
      res = await fetch(provider.userInfoUrl, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (err) {
      return { error: ((err as Error).cause as Error)?.message ?? (err as Error).message };
    }
    const text = await res.text();
    if (res.status !== 200) return { error: `userinfo returned ${res.status}: ${text.slice(0, 200)}` };
    try {
      const profile = JSON.parse(text) as unknown;
      return isPlainObject(profile) ? { profile } : { error: 'userinfo is not a JSON object' };
    } catch {
      return { error: 'userinfo is not JSON' };
    }
  }
}

/**
 * The user key "oauth:<provider>:<id>". Users are found by email, which the store compares without
 * case; provider ids are case-sensitive, so an id with capitals is written in hex (lower case, and
 * distinct from any plain id) rather than folded into another user's key.
 */
export function oauthKey(provider: string, id: string): string {
  return /[A-Z]/.test(id) ? `oauth:${provider}:~${Buffer.from(id).toString('hex')}` : `oauth:${provider}:${id}`;
}

/** The first non-empty string (or whole number, as GitHub's numeric ids) among `keys`. */
function firstString(profile: ConfigMap, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = profile[k];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(Math.round(v));
  }
  return undefined;
}

export const createOAuth2: ModuleFactory = (spec) => new OAuth2Module(spec.name, parseOAuth2(spec.config));
