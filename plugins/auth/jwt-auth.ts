// auth.jwt: users with scrypt-hashed passwords, HS256 tokens, and the upstream endpoints (matched by
// path suffix, so a router prefix such as /api is fine):
//   POST /auth/register  /auth/login  /auth/refresh  /auth/logout  /auth/setup
//   GET|PUT /auth/me  /auth/profile      GET /auth/setup-status
//   GET|POST /auth/users   DELETE /auth/users/{id}   PUT /auth/users/{id}/role   (admin only)
// It is also the AuthProvider http.middleware.auth validates bearer tokens with.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigValueError,
  type AppContext,
  type AuthProvider,
  type ConfigMap,
  type HttpHandler,
  type Logger,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { findPersistenceStore } from '../storage/index.ts';
import {
  ConfigReader,
  isPlainObject,
  readJson,
  readSeedFile,
  requestPath,
  resolveFrom,
  writeJson,
} from '../support/index.ts';
import { signHs256, verifyHs256, type JwtClaims } from './jwt.ts';
import { hashPassword, isBcryptHash, verifyPassword } from './password.ts';
import type { TokenBlacklist } from './token-blacklist.ts';
import { normalizeEmail, UserStore, type User } from './user-store.ts';
import { UserStoreModule } from './user-store-module.ts';

export const jwtAuthSchema: TypeSchema = {
  description: 'JWT authentication (HS256): register/login/refresh/me endpoints and bearer token validation',
  configFields: [
    { key: 'secret', type: 'string', required: true, description: 'HMAC secret; use ${JWT_SECRET}' },
    { key: 'tokenExpiry', type: 'duration', default: '24h' },
    { key: 'issuer', type: 'string', default: 'workflow' },
    {
      key: 'seedFile',
      type: 'filepath',
      description: 'JSON users [{id, data: {email, name, password, role}}], relative to the config file',
    },
    { key: 'allowRegistration', type: 'boolean', default: true, description: 'Allow POST /auth/register' },
    {
      key: 'responseFormat',
      type: 'select',
      options: ['standard', 'oauth2'],
      default: 'standard',
      description: 'oauth2 adds access_token, token_type, expires_in',
    },
    { key: 'minPasswordLength', type: 'number', default: 8 },
    {
      key: 'persistence',
      type: 'string',
      description: 'persistence.store module (default: "persistence" or the first one)',
    },
    { key: 'userStore', type: 'string', description: 'an auth.user-store module to keep the users in (an addition)' },
  ],
};

/** Metadata copied into tokens, as upstream does. */
const CLAIM_FIELDS = ['role', 'affiliateId', 'programIds'];

type Route = (req: IncomingMessage, res: ServerResponse, id?: string) => Promise<void>;

export class JwtAuthModule implements Module, HttpHandler, AuthProvider {
  readonly type = 'auth.jwt';
  private readonly secret: string;
  private readonly expirySeconds: number;
  private readonly issuer: string;
  private readonly allowRegistration: boolean;
  private readonly oauth2: boolean;
  private readonly minPasswordLength: number;
  private readonly config: ConfigReader;
  private readonly revoked = new Map<string, number>();
  private users = new UserStore();
  private logger?: Logger;
  private blacklist?: TokenBlacklist;
  private sharedUsers?: UserStoreModule;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = (this.config = new ConfigReader(config));
    this.secret = c.requiredString('secret', 'set secret (e.g. secret: "${JWT_SECRET}")');
    this.expirySeconds = Math.floor(c.duration('tokenExpiry', 24 * 3600 * 1000)! / 1000);
    if (this.expirySeconds <= 0)
      throw new ConfigValueError('"tokenExpiry" must be positive', { path: ['tokenExpiry'] });
    this.issuer = c.string('issuer') || 'workflow';
    this.allowRegistration = c.boolean('allowRegistration', true)!;
    this.oauth2 = c.oneOf('responseFormat', ['standard', 'oauth2'] as const, 'standard') === 'oauth2';
    this.minPasswordLength = c.number('minPasswordLength', 8)!;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'auth.jwt', module: this.name });
    if (/^\$\{[^}]+\}$/.test(this.secret)) {
      this.logger.warn(
        'secret looks like an unexpanded ${VAR}: set the environment variable, tokens are signed with the literal text',
      );
    }
    const shared = this.config.string('userStore');
    if (shared) {
      const m = app.services.get(shared);
      if (!(m instanceof UserStoreModule))
        throw new ConfigValueError(`"userStore": "${shared}" is not an auth.user-store module of this app`, {
          path: ['userStore'],
        });
      this.sharedUsers = m;
    } else this.users = new UserStore(findPersistenceStore(app, this.config.string('persistence')));
  }

  async start(app: AppContext): Promise<void> {
    if (this.sharedUsers) {
      // every module's init is done: the store is the one the auth.user-store made
      this.users = this.sharedUsers.store;
      this.sharedUsers.load();
    } else this.users.load();
    const seedFile = this.config.string('seedFile');
    if (seedFile) await this.loadSeeds(resolveFrom(app.configDir, seedFile));
  }

  /** Tokens whose jti is on `blacklist` are refused (upstream's token-blacklist-wiring). */
  useBlacklist(blacklist: TokenBlacklist): void {
    this.blacklist = blacklist;
  }

  async authenticate(token: string): Promise<{ ok: true; claims: ConfigMap } | { ok: false; reason: string }> {
    const result = verifyHs256(token, this.secret, { issuer: this.issuer });
    if (!result.ok) return result;
    const { jti, sub } = result.claims;
    if (jti && (this.revoked.has(jti) || (await this.blacklist?.isBlacklisted(jti))))
      return { ok: false, reason: 'token has been revoked' };
    if (typeof sub !== 'string' || !this.users.byId(sub)) return { ok: false, reason: 'user no longer exists' };
    return { ok: true, claims: result.claims };
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const userAction = /\/auth\/users\/([^/]+)(\/role)?$/.exec(path);
    let route: Route | undefined;
    let id: string | undefined;
    if (userAction) {
      id = decodeURIComponent(userAction[1]);
      if (method === 'DELETE' && !userAction[2]) route = this.deleteUser;
      if (method === 'PUT' && userAction[2]) route = this.setRole;
    } else {
      const endpoint = /\/auth\/([a-z-]+)$/.exec(path)?.[1] ?? '';
      route = this.routes()[`${method} ${endpoint}`];
    }
    if (!route) return writeJson(res, 404, { error: 'not found' });
    try {
      await route.call(this, req, res, id);
    } catch (err) {
      this.logger?.error({ err: (err as Error).message, path }, 'auth request failed');
      writeJson(res, 500, { error: 'internal error' });
    }
  }

  private routes(): Record<string, Route> {
    return {
      'POST register': this.register,
      'POST login': this.login,
      'POST refresh': this.refresh,
      'POST logout': this.logout,
      'POST setup': this.setup,
      'GET setup-status': this.setupStatus,
      'GET me': this.me,
      'GET profile': this.me,
      'PUT me': this.updateMe,
      'PUT profile': this.updateMe,
      'GET users': this.listUsers,
      'POST users': this.createUser,
    };
  }

  private async register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.allowRegistration) return writeJson(res, 403, { error: 'registration is disabled' });
    const body = await this.credentials(req, res);
    if (!body) return;
    const user = await this.addUser(res, body, 'user');
    if (user) writeJson(res, 201, this.tokenResponse(user));
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.credentials(req, res);
    if (!body) return;
    const user = this.users.byEmail(body.email);
    const check = user ? await verifyPassword(body.password, user.passwordHash) : 'mismatch';
    if (check === 'unsupported-hash') {
      this.logger?.warn(
        { user: user!.id },
        'stored password hash is not scrypt (bcrypt from upstream?); the user needs a new password, see ' +
          'docs/plugins.md',
      );
    }
    if (check !== 'match') return writeJson(res, 401, { error: 'invalid credentials' });
    writeJson(res, 200, this.tokenResponse(user!));
  }

  private async refresh(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let token = bearer(req);
    if (!token) {
      const body = await readJson(req);
      if (body.ok && isPlainObject(body.value) && typeof body.value.token === 'string') token = body.value.token;
    }
    const user = token ? await this.userFromToken(token) : undefined;
    if (!user) return writeJson(res, 401, { error: 'a valid token is required (Authorization: Bearer <token>)' });
    this.revoke(token!);
    writeJson(res, 200, this.tokenResponse(user));
  }

  private async logout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = bearer(req);
    if (!token || !(await this.userFromToken(token)))
      return writeJson(res, 401, { error: 'a valid token is required' });
    this.revoke(token);
    writeJson(res, 200, { status: 'logged out' });
  }

  private async setupStatus(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    writeJson(res, 200, { needsSetup: this.users.count === 0, userCount: this.users.count });
  }

  private async setup(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.users.count > 0) return writeJson(res, 409, { error: 'setup already done: users exist' });
    const body = await this.credentials(req, res);
    if (!body) return;
    const user = await this.addUser(res, body, 'admin');
    if (user) writeJson(res, 201, this.tokenResponse(user));
  }

  private async me(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const user = await this.requireUser(req, res);
    if (user) writeJson(res, 200, publicUser(user));
  }

  private async updateMe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const user = await this.requireUser(req, res);
    if (!user) return;
    const body = await readJson(req);
    if (!body.ok || !isPlainObject(body.value))
      return writeJson(res, 400, { error: 'invalid request body: expected a JSON object' });
    const changes = body.value;
    const updated: User = { ...user };
    if (typeof changes.name === 'string' && changes.name.trim() !== '') updated.name = changes.name.trim();
    if (changes.password !== undefined) {
      if (typeof changes.password !== 'string' || changes.password.length < this.minPasswordLength) {
        return writeJson(res, 400, { error: `password must be at least ${this.minPasswordLength} characters` });
      }
      const current =
        typeof changes.currentPassword === 'string'
          ? await verifyPassword(changes.currentPassword, user.passwordHash)
          : 'mismatch';
      if (current !== 'match') return writeJson(res, 403, { error: 'currentPassword is missing or wrong' });
      updated.passwordHash = await hashPassword(changes.password);
    }
    writeJson(res, 200, publicUser(this.users.save(updated)));
  }

  private async listUsers(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await this.requireAdmin(req, res)) writeJson(res, 200, this.users.list().map(publicUser));
  }

  private async createUser(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!(await this.requireAdmin(req, res))) return;
    const body = await this.credentials(req, res);
    if (!body) return;
    const user = await this.addUser(res, body, typeof body.role === 'string' && body.role ? body.role : 'user');
    if (user) writeJson(res, 201, publicUser(user));
  }

  private async deleteUser(req: IncomingMessage, res: ServerResponse, id?: string): Promise<void> {
    if (!(await this.requireAdmin(req, res))) return;
    if (!this.users.delete(id!)) return writeJson(res, 404, { error: `user "${id}" not found` });
    res.writeHead(204).end();
  }

  private async setRole(req: IncomingMessage, res: ServerResponse, id?: string): Promise<void> {
    if (!(await this.requireAdmin(req, res))) return;
    const user = this.users.byId(id!);
    if (!user) return writeJson(res, 404, { error: `user "${id}" not found` });
    const body = await readJson(req);
    const role = body.ok && isPlainObject(body.value) ? body.value.role : undefined;
    if (typeof role !== 'string' || role === '')
      return writeJson(res, 400, { error: 'body must be {"role": "<role>"}' });
    writeJson(res, 200, publicUser(this.users.save({ ...user, metadata: { ...user.metadata, role } })));
  }

  /** A JSON body with an email and a password, or undefined after answering 400. */
  private async credentials(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<(ConfigMap & { email: string; password: string }) | undefined> {
    const body = await readJson(req);
    if (!body.ok) {
      writeJson(res, body.status, { error: body.error });
      return undefined;
    }
    const v = body.value;
    if (
      !isPlainObject(v) ||
      typeof v.email !== 'string' ||
      typeof v.password !== 'string' ||
      v.email === '' ||
      v.password === ''
    ) {
      writeJson(res, 400, { error: 'email and password are required' });
      return undefined;
    }
    return v as ConfigMap & { email: string; password: string };
  }

  private async addUser(
    res: ServerResponse,
    body: ConfigMap & { email: string; password: string },
    role: string,
  ): Promise<User | undefined> {
    const email = normalizeEmail(body.email);
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) {
      writeJson(res, 400, { error: 'email is not a valid address' });
      return undefined;
    }
    if (body.password.length < this.minPasswordLength) {
      writeJson(res, 400, { error: `password must be at least ${this.minPasswordLength} characters` });
      return undefined;
    }
    if (this.users.byEmail(email)) {
      writeJson(res, 409, { error: 'email already registered' });
      return undefined;
    }
    return this.users.save({
      id: this.users.nextId(),
      email,
      name: typeof body.name === 'string' ? body.name : '',
      passwordHash: await hashPassword(body.password),
      metadata: { role },
      createdAt: new Date().toISOString(),
    });
  }

  /**
   * The user an auth.oauth2 login stands for, found by its provider key ("oauth:<provider>:<id>",
   * kept as the email) or created without a usable password.
   */
  oauthUser(key: string, name: string, metadata: ConfigMap): User {
    const existing = this.users.byEmail(key);
    if (existing) return existing;
    return this.users.save({
      id: this.users.nextId(),
      email: normalizeEmail(key),
      name,
      passwordHash: '!',
      metadata,
      createdAt: new Date().toISOString(),
    });
  }

  /** {token, user} (plus the OAuth2 fields with responseFormat oauth2) for a user of this module. */
  tokenResponse(user: User): ConfigMap & { token: string; user: ConfigMap } {
    const now = Math.floor(Date.now() / 1000);
    const claims: JwtClaims = {
      sub: user.id,
      email: user.email,
      name: user.name,
      iss: this.issuer,
      iat: now,
      exp: now + this.expirySeconds,
      jti: randomUUID(),
    };
    for (const field of CLAIM_FIELDS) if (user.metadata[field] !== undefined) claims[field] = user.metadata[field];
    const token = signHs256(claims, this.secret);
    const response = { token, user: publicUser(user) };
    if (this.oauth2)
      Object.assign(response, { access_token: token, token_type: 'Bearer', expires_in: this.expirySeconds });
    return response;
  }

  private async userFromToken(token: string): Promise<User | undefined> {
    const result = await this.authenticate(token);
    return result.ok ? this.users.byId(String(result.claims.sub)) : undefined;
  }

  private async requireUser(req: IncomingMessage, res: ServerResponse): Promise<User | undefined> {
    const token = bearer(req);
    if (!token) {
      writeJson(
        res,
        401,
        { error: 'authorization header required (Authorization: Bearer <token>)' },
        { 'WWW-Authenticate': 'Bearer' },
      );
      return undefined;
    }
    const result = await this.authenticate(token);
    if (!result.ok) {
      writeJson(res, 401, { error: result.reason }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      return undefined;
    }
    return this.users.byId(String(result.claims.sub));
  }

  private async requireAdmin(req: IncomingMessage, res: ServerResponse): Promise<User | undefined> {
    const user = await this.requireUser(req, res);
    if (user && user.metadata.role !== 'admin') {
      writeJson(res, 403, { error: 'admin role required' });
      return undefined;
    }
    return user;
  }

  private revoke(token: string): void {
    const decoded = verifyHs256(token, this.secret);
    if (!decoded.ok || !decoded.claims.jti) return;
    const now = Math.floor(Date.now() / 1000);
    for (const [jti, exp] of this.revoked) if (exp <= now) this.revoked.delete(jti); // expired tokens fail anyway
    this.revoked.set(decoded.claims.jti, decoded.claims.exp ?? now + this.expirySeconds);
  }

  private async loadSeeds(path: string): Promise<void> {
    const records = await readSeedFile(path);
    if (!records) {
      this.logger?.warn({ seedFile: path }, 'seed file not found; no seed users loaded');
      return;
    }
    for (const { id, data } of records) {
      if (typeof data.email !== 'string' || data.email === '') continue;
      const existing = this.users.byEmail(data.email);
      const password = typeof data.password === 'string' && data.password !== '' ? data.password : undefined;
      const seededHash = typeof data.passwordHash === 'string' ? data.passwordHash : undefined;
      if (existing) {
        // The one thing a seed may change: give a user whose stored hash we cannot verify a usable one.
        if (password && isBcryptHash(existing.passwordHash))
          this.users.save({ ...existing, passwordHash: await hashPassword(password) });
        continue;
      }
      if (!password && seededHash && isBcryptHash(seededHash)) {
        this.logger?.warn(
          { email: data.email },
          'seed user has a bcrypt hash and no password; they cannot log in until given one',
        );
      }
      const { email, name, password: _p, passwordHash: _h, ...metadata } = data;
      this.users.save({
        id: id ?? this.users.nextId(),
        email: normalizeEmail(String(email)),
        name: typeof name === 'string' ? name : '',
        passwordHash: password ? await hashPassword(password) : (seededHash ?? '!'),
        metadata,
        createdAt: new Date().toISOString(),
      });
    }
  }
}

function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1];
}

/** What clients see of a user: never the password hash; metadata flattened (upstream shape). */
function publicUser(user: User): ConfigMap {
  return { ...user.metadata, id: user.id, email: user.email, name: user.name, createdAt: user.createdAt };
}

export function createJwtAuth(spec: ModuleSpec): JwtAuthModule {
  return new JwtAuthModule(spec.name, spec.config);
}
