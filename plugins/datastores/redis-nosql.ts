// nosql.redis: the key -> document store of the nosql_* steps in a real Redis. `addr` (alias
// `address`; localhost:6379), `password`, `db`, `prefix` (default "<module name>:") before every key.
// Each document is one JSON string; `query` walks the prefix with SCAN (never KEYS, which blocks the
// server) and answers in key order.
import type { AppContext, ConfigMap, Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, RedisModuleConnection } from '../support/index.ts';
import type { NoSqlStore } from './memory-nosql.ts';

export const redisNoSqlSchema: TypeSchema = {
  description: 'NoSQL key/document store in Redis',
  configFields: [
    {
      key: 'addr',
      type: 'string',
      default: 'localhost:6379',
      aliases: ['address'],
      description: 'host:port or redis:// URL',
    },
    { key: 'password', type: 'string' },
    { key: 'db', type: 'number', default: 0 },
    { key: 'prefix', type: 'string', description: 'prepended to every key (default "<module name>:")' },
  ],
};

/** A Redis glob that matches `text` literally. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

export class RedisNoSql implements Module, NoSqlStore {
  readonly type = 'nosql.redis';
  readonly prefix: string;
  private readonly redis: RedisModuleConnection;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.prefix = c.string('prefix') ?? `${name}:`;
    this.redis = new RedisModuleConnection({
      address: c.string(['addr', 'address']) || 'localhost:6379',
      password: c.string('password'),
      db: Math.floor(c.number('db', 0)!),
      owner: `nosql.redis "${name}"`,
    });
  }

  start(app: AppContext): Promise<void> {
    return this.redis.open(app.logger);
  }

  stop(): Promise<void> {
    return this.redis.close();
  }

  private decode(key: string, text: string | null): ConfigMap | undefined {
    if (text === null) return undefined;
    try {
      return JSON.parse(text) as ConfigMap;
    } catch {
      throw new Error(`nosql.redis "${this.name}": the value at "${key}" is not a JSON document`);
    }
  }

  async get(key: string): Promise<ConfigMap | undefined> {
    return this.decode(key, await this.redis.client().get(this.prefix + key));
  }

  async put(key: string, item: ConfigMap): Promise<void> {
    await this.redis.client().set(this.prefix + key, JSON.stringify(item));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.client().del(this.prefix + key)) > 0;
  }

  async query(params: { prefix?: string } = {}): Promise<ConfigMap[]> {
    const client = this.redis.client();
    const keys: string[] = [];
    for await (const batch of client.scanIterator({
      MATCH: `${globEscape(this.prefix + (params.prefix ?? ''))}*`,
      COUNT: 500,
    }))
      keys.push(...(Array.isArray(batch) ? batch : [batch]));
    keys.sort();
    const out: ConfigMap[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const values = await client.mGet(chunk);
      values.forEach((v, j) => {
        const doc = this.decode(chunk[j]!.slice(this.prefix.length), v);
        if (doc) out.push(doc);
      });
    }
    return out;
  }
}

export function createRedisNoSql(spec: ModuleSpec): RedisNoSql {
  return new RedisNoSql(spec.name, spec.config);
}
