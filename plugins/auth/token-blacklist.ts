// auth.token-blacklist (upstream module/auth_token_blacklist.go): revoked JWT ids (jti) until the
// token would have expired anyway. `backend` memory (default; expired entries swept every
// `cleanup_interval`, 5m) or redis (`redis_url`; keys `blacklist:<jti>` with the token's remaining
// lifetime as TTL, so several app replicas share revocations). step.token_revoke adds to it; every
// auth.jwt of the app refuses blacklisted tokens (upstream's token-blacklist-wiring).
import {
  ConfigValueError,
  defineCapability,
  type AppContext,
  type ConfigMap,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy, connectRedis, type RedisConnection } from '../support/index.ts';

export interface TokenBlacklist {
  /** Revokes `jti` until `expiresAtMs` (epoch milliseconds); an already expired token is not stored. */
  add(jti: string, expiresAtMs: number): Promise<void>;
  isBlacklisted(jti: string): Promise<boolean>;
}

export const TokenBlacklistCap = defineCapability<TokenBlacklist>('TokenBlacklist', 'add', 'isBlacklisted');

interface BlacklistConfig {
  backend: 'memory' | 'redis';
  redisUrl?: string;
  cleanupMs: number;
}

function parseBlacklist(config: ConfigMap): BlacklistConfig {
  const cfg = new ConfigReader(config);
  const backend = cfg.oneOf('backend', ['memory', 'redis'] as const, 'memory');
  const redisUrl = cfg.string('redis_url') || undefined;
  if (backend === 'redis' && !redisUrl)
    throw new ConfigValueError('"redis_url" is required for the redis backend', {
      path: ['redis_url'],
      hint: 'redis_url: redis://localhost:6379',
    });
  const cleanupMs = cfg.duration('cleanup_interval', 5 * 60_000)!;
  return { backend, redisUrl, cleanupMs: cleanupMs > 0 ? cleanupMs : 5 * 60_000 };
}

export const tokenBlacklistSchema: TypeSchema = {
  description: 'Revoked JWT ids (memory or Redis); auth.jwt refuses tokens on it',
  configFields: [
    { key: 'backend', type: 'select', options: ['memory', 'redis'], default: 'memory' },
    { key: 'redis_url', type: 'string', description: 'redis://host:port (redis backend)' },
    { key: 'cleanup_interval', type: 'duration', default: '5m', description: 'memory backend sweep' },
  ],
  validate: checkedBy(parseBlacklist),
};

export class TokenBlacklistModule implements Module, TokenBlacklist {
  readonly type = 'auth.token-blacklist';
  private readonly entries = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;
  private redis?: RedisConnection;

  constructor(
    readonly name: string,
    private readonly cfg: BlacklistConfig,
  ) {}

  async start(app: AppContext): Promise<void> {
    if (this.cfg.backend === 'redis') {
      this.redis = await connectRedis({
        address: this.cfg.redisUrl!,
        owner: `auth.token-blacklist "${this.name}"`,
        logger: app.logger,
      });
      return;
    }
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [jti, exp] of this.entries) if (exp <= now) this.entries.delete(jti);
    }, this.cfg.cleanupMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    const r = this.redis;
    this.redis = undefined;
    if (r?.isOpen) await r.close();
  }

  async add(jti: string, expiresAtMs: number): Promise<void> {
    const ttlMs = expiresAtMs - Date.now();
    if (ttlMs <= 0) return;
    if (this.redis) await this.redis.set(`blacklist:${jti}`, '1', { PX: Math.ceil(ttlMs) });
    else this.entries.set(jti, expiresAtMs);
  }

  async isBlacklisted(jti: string): Promise<boolean> {
    if (this.redis) return (await this.redis.exists(`blacklist:${jti}`)) > 0;
    const exp = this.entries.get(jti);
    return exp !== undefined && Date.now() < exp;
  }
}

export const createTokenBlacklist: ModuleFactory = (spec) =>
  new TokenBlacklistModule(spec.name, parseBlacklist(spec.config));
