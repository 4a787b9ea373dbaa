// nosql.redis: the key -> document store of the nosql_* steps in a real Redis. `addr` (alias
// `address`; localhost:6379), `password`, `db`, `prefix` (default "<module name>:") before every key.
// Each document is one JSON string; `query` walks the prefix with SCAN (never KEYS, which blocks the
// server) and answers in key order.
import type { AppContext, ConfigMap, Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, connectRedis, type RedisConnection } from '../support/index.ts';
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
  private client?: RedisConnection;
  private readonly address: string;
  private readonly password?: string;
  private readonly db: number;
  readonly prefix: string;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.address = c.string(['addr', 'address']) || 'localhost:6379';
    this.password = c.string('password');
    this.db = Math.floor(c.number('db', 0)!);
    this.prefix = c.string('prefix') ?? `${name}:`;
  }

  async start(app: AppContext): Promise<void> {
    this.client = await connectRedis({
      address: this.address,
      password: this.password,
      db: this.db,
      owner: `nosql.redis "${this.name}"`,
      logger: app.logger,
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isOpen) await client.close();
  }

  private connection(): RedisConnection {
    if (!this.client) throw new Error(`nosql.redis "${this.name}" is not started`);
    return this.client;
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
    return this.decode(key, await this.connection().get(this.prefix + key));
  }

  async put(key: string, item: ConfigMap): Promise<void> {
    await this.connection().set(this.prefix + key, JSON.stringify(item));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.connection().del(this.prefix + key)) > 0;
  }

  async query(params: { prefix?: string } = {}): Promise<ConfigMap[]> {
    const client = this.connection();
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
