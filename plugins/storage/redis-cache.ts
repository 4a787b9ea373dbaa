// cache.redis: a key -> string cache in a real Redis (`address` localhost:6379, `password`, `db`,
// `prefix` "wf:" before every key, `defaultTTL` 1h for entries set without a ttl). Start connects
// and pings, and fails with a clear message when Redis does not answer. It is the CacheStore that
// step.cache_get/set/delete use. Values are strings (other values are stored as their JSON).
import type { AppContext, CacheStore, Module, ModuleFactory, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, RedisModuleConnection } from '../support/index.ts';

export const redisCacheSchema: TypeSchema = {
  description: 'Key/value cache in Redis',
  configFields: [
    { key: 'address', type: 'string', default: 'localhost:6379', description: 'host:port or redis:// URL' },
    { key: 'password', type: 'string' },
    { key: 'db', type: 'number', default: 0 },
    { key: 'prefix', type: 'string', default: 'wf:', description: 'prepended to every key' },
    { key: 'defaultTTL', type: 'duration', default: '1h', description: 'expiry of entries set without a ttl' },
  ],
};

export class RedisCache implements Module, CacheStore {
  readonly type = 'cache.redis';
  readonly address: string;
  readonly prefix: string;
  private readonly defaultTtlMs: number;
  private readonly redis: RedisModuleConnection;

  constructor(
    readonly name: string,
    config: Record<string, unknown>,
  ) {
    const cfg = new ConfigReader(config);
    this.address = cfg.string('address') || 'localhost:6379';
    this.prefix = cfg.string('prefix') || 'wf:';
    this.defaultTtlMs = cfg.duration('defaultTTL', 3_600_000)!;
    this.redis = new RedisModuleConnection({
      address: this.address,
      password: cfg.string('password'),
      db: Math.floor(cfg.number('db', 0)!),
      owner: `cache.redis "${name}"`,
    });
  }

  start(app: AppContext): Promise<void> {
    return this.redis.open(app.logger);
  }

  stop(): Promise<void> {
    return this.redis.close();
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.redis.client().get(this.prefix + key);
    return value ?? undefined;
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const ttl = ttlMs && ttlMs > 0 ? ttlMs : this.defaultTtlMs;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    await this.redis.client().set(this.prefix + key, text, ttl > 0 ? { expiration: { type: 'PX', value: ttl } } : {});
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.client().del(this.prefix + key)) > 0;
  }

  async healthCheck(): Promise<{ status: 'healthy' | 'unhealthy'; message?: string }> {
    try {
      await this.redis.client().ping();
      return { status: 'healthy' };
    } catch (err) {
      return { status: 'unhealthy', message: (err as Error).message };
    }
  }
}

export const createRedisCache: ModuleFactory = (spec) => new RedisCache(spec.name, spec.config);
