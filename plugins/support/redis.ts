// One Redis connection per module (cache.redis, nosql.redis) with node-redis (@redis/client):
// connecting fails fast with a clear message when nothing answers at start; after that the client
// reconnects by itself (with backoff) and commands wait for it, as go-redis does upstream.
// Why node-redis: the Redis project's own client, no dependencies, Node 20.
import type { RedisClientType } from '@redis/client';
import type { Logger } from '../../engine/index.ts';

// no modules, functions or scripts; RESP3 (node-redis 6's default protocol)
// biome-ignore lint/complexity/noBannedTypes: node-redis spells "none" as {}
export type RedisConnection = RedisClientType<{}, {}, {}, 3>;

export interface RedisOptions {
  /** host:port (upstream's form) or a redis:// URL. */
  address: string;
  password?: string;
  db?: number;
  /** Who is connecting, for messages: `cache.redis "sessions"`. */
  owner: string;
  logger: Logger;
}

export async function connectRedis(opts: RedisOptions): Promise<RedisConnection> {
  const url = /^rediss?:\/\//.test(opts.address) ? opts.address : `redis://${opts.address}`;
  let connected = false;
  // loaded when an app uses Redis, not by every wfctl start
  const { createClient } = await import('@redis/client');
  const client = createClient({
    url,
    password: opts.password || undefined,
    database: opts.db ?? 0,
    socket: {
      connectTimeout: 5000,
      // before the first connection: give up at once (start fails); after it: retry with backoff
      reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(50 * 2 ** retries, 3000) : cause),
    },
  });
  client.on('error', (err: Error) => {
    if (connected) opts.logger.warn({ err: err.message }, `${opts.owner}: Redis connection error`);
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    await client.destroy?.();
    throw new Error(
      `${opts.owner}: cannot reach Redis at ${opts.address} (` +
        `${(err as Error).message || (err as NodeJS.ErrnoException).code}); is redis-server running there?`,
    );
  }
  connected = true;
  return client;
}

/**
 * The connection a Redis-backed module holds from start to stop: `open` connects (connectRedis),
 * `close` closes it, and `client()` refuses commands outside that span with the module's name.
 */
export class RedisModuleConnection {
  private connection?: RedisConnection;

  constructor(private readonly opts: Omit<RedisOptions, 'logger'>) {}

  async open(logger: Logger): Promise<void> {
    this.connection = await connectRedis({ ...this.opts, logger });
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection?.isOpen) await connection.close();
  }

  client(): RedisConnection {
    if (!this.connection) throw new Error(`${this.opts.owner} is not started`);
    return this.connection;
  }
}
