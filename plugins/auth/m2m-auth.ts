// auth.m2m (upstream module/auth_m2m.go): machine-to-machine OAuth2. Endpoints, matched by path
// suffix so any router prefix works:
//   POST /oauth/token       grant_type=client_credentials (RFC 6749 4.4; client id and secret as
//                           HTTP Basic or form fields; `scope` must be within the client's scopes)
//                           or urn:ietf:params:oauth:grant-type:jwt-bearer (RFC 7523; an `assertion`
//                           signed by a `trustedKeys` key, chosen by its kid or iss, or HS256 with
//                           the module's own secret)
//   POST /oauth/revoke      RFC 7009: client authentication required; always 200
//   POST /oauth/introspect  RFC 7662: the caller authenticates (Basic = admin, or its own Bearer
//                           token); by default a caller may only inspect its own tokens
//   GET  /oauth/jwks        the ES256 public key (404 for HS256)
// Tokens: iss, sub (the client id), iat, exp, jti, scope and the client's `claims`; HS256 (`secret`,
// at least 32 bytes; upstream's default when `algorithm` is not set) or ES256 (`privateKey` PEM, else
// a key made at start). It is an AuthProvider: http.middleware.auth and step.auth_validate accept
// its tokens. JWTs are signed and checked with `jose`.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from 'jose';
import {
  ConfigValueError,
  type AuthProvider,
  type ConfigMap,
  type HttpHandler,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import {
  BodyTooLargeError,
  ConfigReader,
  checkedBy,
  isPlainObject,
  readBody,
  requestPath,
  writeJson,
} from '../support/index.ts';

const CLIENT_CREDENTIALS = 'client_credentials';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const PROTECTED_CLAIMS = new Set(['iss', 'sub', 'iat', 'exp', 'scope', 'jti']);

interface M2MClient {
  clientId: string;
  clientSecret: string;
  description?: string;
  scopes: string[];
  claims: ConfigMap;
}

interface TrustedKey {
  key: KeyObject;
  audiences: string[];
  claimMapping: Record<string, string>;
}

interface M2MConfig {
  algorithm: 'HS256' | 'ES256';
  secret: string;
  privateKey?: KeyObject;
  expirySeconds: number;
  issuer: string;
  clients: M2MClient[];
  introspect: { allowOthers: boolean; requiredScope?: string; requiredClaim?: string; requiredClaimVal?: string };
  trustedKeys: Map<string, TrustedKey>;
}

function parseM2M(config: ConfigMap): M2MConfig {
  const cfg = new ConfigReader(config);
  const algorithm = cfg.oneOf('algorithm', ['HS256', 'ES256'] as const, 'HS256');
  const secret = cfg.string('secret') ?? '';
  if (algorithm === 'HS256' && Buffer.byteLength(secret) < 32)
    throw new ConfigValueError('"secret" must be at least 32 bytes for HS256', {
      path: ['secret'],
      hint: 'secret: "${M2M_SECRET}" (32+ random bytes), or algorithm: ES256',
    });
  let privateKey: KeyObject | undefined;
  const pem = cfg.string('privateKey');
  if (algorithm === 'ES256' && pem) {
    try {
      privateKey = createPrivateKey(pem);
    } catch (err) {
      throw new ConfigValueError(`"privateKey" is not a PEM private key: ${(err as Error).message}`, {
        path: ['privateKey'],
      });
    }
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new ConfigValueError('"privateKey" must be an EC P-256 key (ES256)', { path: ['privateKey'] });
  }
  const expiryMs = cfg.duration('tokenExpiry', 3_600_000)!;
  if (expiryMs < 1000) throw new ConfigValueError('"tokenExpiry" must be at least 1s', { path: ['tokenExpiry'] });
  const clients = cfg.list('clients').map((raw, i): M2MClient => {
    if (!isPlainObject(raw)) throw new ConfigValueError(`"clients[${i}]" must be a map`, { path: ['clients', i] });
    const c = new ConfigReader(raw);
    const need = (key: string) => {
      const v = c.string(key);
      if (!v) throw new ConfigValueError(`"clients[${i}].${key}" is required`, { path: ['clients', i, key] });
      return v;
    };
    return {
      clientId: need('clientId'),
      clientSecret: need('clientSecret'),
      description: c.string('description'),
      scopes: c.stringList('scopes'),
      claims: c.map('claims') ?? {},
    };
  });
  const intro = new ConfigReader(cfg.map('introspect') ?? {});
  const trustedKeys = new Map<string, TrustedKey>();
  cfg.list('trustedKeys').forEach((raw, i) => {
    const at = ['trustedKeys', i];
    if (!isPlainObject(raw)) throw new ConfigValueError(`"trustedKeys[${i}]" must be a map`, { path: at });
    const t = new ConfigReader(raw);
    const issuer = t.string('issuer');
    if (!issuer) throw new ConfigValueError(`"trustedKeys[${i}].issuer" is required`, { path: [...at, 'issuer'] });
    const publicPem = t.string('publicKeyPEM');
    if (!publicPem)
      throw new ConfigValueError(`"trustedKeys[${i}].publicKeyPEM" is required`, { path: [...at, 'publicKeyPEM'] });
    let key: KeyObject;
    try {
      key = createPublicKey(publicPem);
    } catch (err) {
      throw new ConfigValueError(
        `"trustedKeys[${i}].publicKeyPEM" is not a PEM public key: ${(err as Error).message}`,
        {
          path: [...at, 'publicKeyPEM'],
        },
      );
    }
    const mapping: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.map('claimMapping') ?? {})) if (typeof v === 'string') mapping[k] = v;
    trustedKeys.set(issuer, { key, audiences: t.stringList('audiences'), claimMapping: mapping });
  });
  return {
    algorithm,
    secret,
    privateKey,
    expirySeconds: Math.floor(expiryMs / 1000),
    issuer: cfg.string('issuer') || 'workflow',
    clients,
    introspect: {
      allowOthers: intro.boolean('allowOthers', false)!,
      requiredScope: intro.string('requiredScope') || undefined,
      requiredClaim: intro.string('requiredClaim') || undefined,
      requiredClaimVal: intro.string('requiredClaimVal') || undefined,
    },
    trustedKeys,
  };
}

export const m2mAuthSchema: TypeSchema = {
  description: 'Machine-to-machine OAuth2: client_credentials and JWT-bearer grants, revoke, introspect, JWKS',
  configFields: [
    { key: 'algorithm', type: 'select', options: ['HS256', 'ES256'], default: 'HS256' },
    { key: 'secret', type: 'string', description: 'HS256 signing secret, at least 32 bytes' },
    { key: 'privateKey', type: 'string', description: 'ES256: PEM EC P-256 private key (default: made at start)' },
    { key: 'tokenExpiry', type: 'duration', default: '1h' },
    { key: 'issuer', type: 'string', default: 'workflow' },
    { key: 'clients', type: 'json', description: '[{clientId, clientSecret, description, scopes, claims}]' },
    { key: 'introspect', type: 'map', description: '{allowOthers, requiredScope, requiredClaim, requiredClaimVal}' },
    { key: 'trustedKeys', type: 'json', description: '[{issuer, publicKeyPEM, audiences, claimMapping}] (jwt-bearer)' },
  ],
  validate: checkedBy(parseM2M),
};

type Claims = JWTPayload & ConfigMap;

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  writeJson(res, status, { error, error_description: description });
}

/** Equal-time comparison of secrets of any length (hash first, as upstream). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export class M2MAuthModule implements Module, HttpHandler, AuthProvider {
  readonly type = 'auth.m2m';
  private readonly clients: Map<string, M2MClient>;
  private readonly revoked = new Map<string, number>();
  private signingKey?: KeyObject | Uint8Array;
  private verifyKey?: KeyObject | Uint8Array;

  constructor(
    readonly name: string,
    private readonly cfg: M2MConfig,
  ) {
    this.clients = new Map(cfg.clients.map((c) => [c.clientId, c]));
  }

  async start(): Promise<void> {
    if (this.cfg.algorithm === 'HS256') {
      this.signingKey = this.verifyKey = new TextEncoder().encode(this.cfg.secret);
      return;
    }
    const priv = this.cfg.privateKey ?? (await generateKeyPair('ES256', { extractable: true })).privateKey;
    this.signingKey = priv as KeyObject;
    this.verifyKey = createPublicKey(priv as KeyObject);
  }

  async authenticate(token: string): Promise<{ ok: true; claims: ConfigMap } | { ok: false; reason: string }> {
    const claims = await this.verify(token);
    if (!claims) return { ok: false, reason: 'invalid token' };
    if (this.isRevoked(claims)) return { ok: false, reason: 'token has been revoked' };
    return { ok: true, claims };
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (method === 'GET' && path.endsWith('/oauth/jwks')) return this.jwks(res);
    if (method !== 'POST') return writeJson(res, 404, { error: 'not found' });
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readBody(req)).toString('utf8'));
    } catch (err) {
      if (err instanceof BodyTooLargeError) return oauthError(res, 413, 'invalid_request', err.message);
      throw err;
    }
    if (path.endsWith('/oauth/token')) return this.token(req, res, form);
    if (path.endsWith('/oauth/revoke')) return this.revoke(req, res, form);
    if (path.endsWith('/oauth/introspect')) return this.introspect(req, res, form);
    writeJson(res, 404, { error: 'not found' });
  }

  private async token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    const grant = form.get('grant_type') ?? '';
    if (grant === CLIENT_CREDENTIALS) {
      const creds = clientCredentials(req, form);
      if (!creds) return oauthError(res, 401, 'invalid_client', 'client credentials required');
      const client = this.authenticateClient(creds.id, creds.secret);
      if (!client) return oauthError(res, 401, 'invalid_client', 'unknown client or wrong secret');
      const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
      const notAllowed = requested.find((s) => !client.scopes.includes(s));
      if (notAllowed)
        return oauthError(res, 400, 'invalid_scope', `scope "${notAllowed}" not permitted for this client`);
      return this.tokenResponse(res, client.clientId, requested.length > 0 ? requested : client.scopes, client.claims);
    }
    if (grant === JWT_BEARER) {
      const assertion = form.get('assertion');
      if (!assertion) return oauthError(res, 400, 'invalid_request', 'assertion is required');
      const checked = await this.checkAssertion(assertion);
      if ('error' in checked) return oauthError(res, 401, 'invalid_grant', checked.error);
      const sub = checked.claims.sub;
      if (typeof sub !== 'string' || sub === '')
        return oauthError(res, 400, 'invalid_grant', 'assertion missing sub claim');
      const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
      return this.tokenResponse(res, sub, scopes, checked.claims);
    }
    oauthError(
      res,
      400,
      'unsupported_grant_type',
      `grant_type "${grant}" not supported; use "${CLIENT_CREDENTIALS}" or "${JWT_BEARER}"`,
    );
  }

  private async tokenResponse(res: ServerResponse, subject: string, scopes: string[], extra: ConfigMap): Promise<void> {
    const claims: ConfigMap = {};
    for (const [k, v] of Object.entries(extra)) if (!PROTECTED_CLAIMS.has(k)) claims[k] = v;
    if (scopes.length > 0) claims.scope = scopes.join(' ');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(claims)
      .setProtectedHeader(this.cfg.algorithm === 'ES256' ? { alg: 'ES256', kid: `${this.name}-key` } : { alg: 'HS256' })
      .setIssuer(this.cfg.issuer)
      .setSubject(subject)
      .setIssuedAt(now)
      .setExpirationTime(now + this.cfg.expirySeconds)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(this.signingKey!);
    writeJson(res, 200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.cfg.expirySeconds,
      scope: scopes.join(' '),
    });
  }

  private async revoke(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    const creds = clientCredentials(req, form);
    if (!creds) return oauthError(res, 401, 'invalid_client', 'client authentication required');
    if (!this.authenticateClient(creds.id, creds.secret))
      return oauthError(res, 401, 'invalid_client', 'invalid client credentials');
    const token = form.get('token');
    if (!token) return oauthError(res, 400, 'invalid_request', 'token is required');
    const claims = await this.verify(token);
    if (claims && typeof claims.jti === 'string') {
      const now = Date.now();
      for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti);
      this.revoked.set(
        claims.jti,
        typeof claims.exp === 'number' ? claims.exp * 1000 : now + this.cfg.expirySeconds * 1000,
      );
    }
    // RFC 7009 2.2: an unknown or invalid token is answered 200 as well
    res.writeHead(200).end();
  }

  private async introspect(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): Promise<void> {
    const token = form.get('token');
    if (!token) return oauthError(res, 400, 'invalid_request', 'token is required');
    const caller = await this.introspectCaller(req);
    if (!caller)
      return oauthError(res, 401, 'unauthorized_client', 'authentication required to use the introspection endpoint');
    const claims = await this.verify(token);
    if (!claims || this.isRevoked(claims)) return writeJson(res, 200, { active: false });
    if (!this.mayInspect(caller, claims.sub))
      return oauthError(res, 403, 'access_denied', 'not authorized to introspect this token');
    const out: ConfigMap = { active: true };
    if (typeof claims.sub === 'string') out.client_id = claims.sub;
    if (typeof claims.scope === 'string') out.scope = claims.scope;
    for (const k of ['exp', 'iat'] as const) if (claims[k] !== undefined) out[k] = claims[k];
    if (typeof claims.iss === 'string') out.iss = claims.iss;
    writeJson(res, 200, out);
  }

  private async jwks(res: ServerResponse): Promise<void> {
    if (this.cfg.algorithm !== 'ES256' || !this.verifyKey)
      return writeJson(res, 404, { error: 'JWKS not available: algorithm must be ES256 with a configured public key' });
    const jwk = await exportJWK(this.verifyKey as KeyObject);
    writeJson(res, 200, { keys: [{ ...jwk, kid: `${this.name}-key`, use: 'sig', alg: 'ES256' }] });
  }

  /** Basic auth = a registered client (admin level); else the caller's own valid bearer token. */
  private async introspectCaller(req: IncomingMessage): Promise<{ id: string; claims?: Claims } | undefined> {
    const basic = basicAuth(req);
    if (basic) return this.authenticateClient(basic.id, basic.secret) ? { id: basic.id } : undefined;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const claims = await this.verify(m[1]!);
    if (!claims || this.isRevoked(claims) || typeof claims.sub !== 'string' || claims.sub === '') return undefined;
    return { id: claims.sub, claims };
  }

  private mayInspect(caller: { id: string; claims?: Claims }, tokenSub: unknown): boolean {
    if (caller.id === tokenSub) return true;
    const policy = this.cfg.introspect;
    if (!policy.allowOthers) return false;
    if (!caller.claims) return true;
    if (policy.requiredScope) {
      const scopes = typeof caller.claims.scope === 'string' ? caller.claims.scope.split(/\s+/) : [];
      if (!scopes.includes(policy.requiredScope)) return false;
    }
    if (policy.requiredClaim) {
      const v = caller.claims[policy.requiredClaim];
      if (v === undefined) return false;
      if (policy.requiredClaimVal && String(v) !== policy.requiredClaimVal) return false;
    }
    return true;
  }

  private authenticateClient(id: string, secret: string): M2MClient | undefined {
    const client = this.clients.get(id);
    return client && sameSecret(client.clientSecret, secret) ? client : undefined;
  }

  private isRevoked(claims: Claims): boolean {
    const exp = typeof claims.jti === 'string' ? this.revoked.get(claims.jti) : undefined;
    return exp !== undefined && Date.now() < exp;
  }

  /** The token's claims when its signature (this module's algorithm only), expiry and issuer hold. */
  private async verify(token: string): Promise<Claims | undefined> {
    if (!this.verifyKey) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.verifyKey, { algorithms: [this.cfg.algorithm] });
      return payload as Claims;
    } catch {
      return undefined;
    }
  }

  /** RFC 7523 assertion: a trusted key picked by kid, then iss; else HS256 with the module's secret. */
  private async checkAssertion(assertion: string): Promise<{ claims: Claims } | { error: string }> {
    let kid: string | undefined;
    let iss: string | undefined;
    try {
      kid = decodeProtectedHeader(assertion).kid;
      iss = decodeJwt(assertion).iss;
    } catch (err) {
      return { error: `malformed assertion: ${(err as Error).message}` };
    }
    const trusted =
      (kid ? this.cfg.trustedKeys.get(kid) : undefined) ?? (iss ? this.cfg.trustedKeys.get(iss) : undefined);
    try {
      if (trusted) {
        const { payload } = await jwtVerify(assertion, trusted.key, {
          algorithms: ['ES256'],
          requiredClaims: ['exp'],
          audience: trusted.audiences.length > 0 ? trusted.audiences : undefined,
        });
        const claims: Claims = { ...payload };
        for (const [from, to] of Object.entries(trusted.claimMapping))
          if (payload[from] !== undefined) claims[to] = payload[from];
        return { claims };
      }
      if (Buffer.byteLength(this.cfg.secret) >= 32) {
        const { payload } = await jwtVerify(assertion, new TextEncoder().encode(this.cfg.secret), {
          algorithms: ['HS256'],
          requiredClaims: ['exp'],
        });
        return { claims: payload as Claims };
      }
    } catch (err) {
      return { error: `invalid assertion: ${(err as Error).message}` };
    }
    return { error: `no trusted key found for assertion issuer "${iss ?? ''}"` };
  }
}

function basicAuth(req: IncomingMessage): { id: string; secret: string } | undefined {
  const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  return { id: text.slice(0, i), secret: text.slice(i + 1) };
}

/** RFC 6749 2.3.1: HTTP Basic first, else client_id and client_secret form fields. */
function clientCredentials(req: IncomingMessage, form: URLSearchParams): { id: string; secret: string } | undefined {
  const basic = basicAuth(req);
  if (basic) return basic;
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id && secret ? { id, secret } : undefined;
}

export const createM2MAuth: ModuleFactory = (spec) => new M2MAuthModule(spec.name, parseM2M(spec.config));
