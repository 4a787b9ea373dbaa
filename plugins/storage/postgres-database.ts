// The PostgreSQL driver behind database.workflow and database.partitioned (driver postgres, pgx,
// pgx/v5): a pg connection pool opened at start (connecting once so a wrong DSN or a server that is
// down fails the app's start, naming the module and where it looked), closed at stop. Statements
// take `$1..$N` parameters as PostgreSQL does; values only ever travel as parameters.
// Why pg: the maintained PostgreSQL client for Node (pure JavaScript, Node 20).
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { ConfigMap, Logger } from '../../engine/index.ts';
import type { PostgresDsn } from './postgres-dsn.ts';
import type { SqlClient, SqlExecResult } from './sql-client.ts';

export interface PostgresPoolOptions {
  /** Most connections open at once (upstream's maxOpenConns); 0 = pg's default (10). */
  maxOpenConns?: number;
  /** Close a connection after this long (upstream's connMaxLifetime); 0 = never. */
  connMaxLifetimeMs?: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

type PgModule = typeof import('pg');
// loaded when an app opens a PostgreSQL database, not by every `wfctl run`
let pgModule: PgModule | undefined;
async function loadPg(): Promise<PgModule> {
  pgModule ??= ((await import('pg')) as unknown as { default: PgModule }).default;
  return pgModule;
}

export class PostgresDatabase implements SqlClient {
  readonly dialect = 'postgres';
  private pool?: Pool;

  constructor(
    readonly dsn: PostgresDsn,
    /** Who connects, for messages: `database.workflow "main-db"`. */
    readonly owner: string,
    private readonly options: PostgresPoolOptions = {},
  ) {}

  async open(logger: Logger): Promise<void> {
    if (this.pool) return;
    const pg = await loadPg();
    const config: PoolConfig = {
      connectionString: this.dsn.connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types: { getTypeParser: rowValueParser(pg) },
    };
    if (this.options.maxOpenConns && this.options.maxOpenConns > 0) config.max = this.options.maxOpenConns;
    if (this.options.connMaxLifetimeMs && this.options.connMaxLifetimeMs > 0)
      config.maxLifetimeSeconds = Math.max(1, Math.round(this.options.connMaxLifetimeMs / 1000));
    const pool = new pg.Pool(config);
    // an idle connection the server drops (restart, admin kill) must not crash the process: the pool
    // discards it and opens a new one on the next query
    pool.on('error', (err) => logger.warn({ err: err.message }, `${this.owner}: idle PostgreSQL connection lost`));
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(
        `${this.owner}: cannot connect to PostgreSQL at ${this.dsn.target} (${describeError(err)}); ` +
          'is the server running there, and are the dsn host, port, database, user and password right?',
      );
    }
    this.pool = pool;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  async queryRows(sql: string, params: unknown[] = []): Promise<ConfigMap[]> {
    return (await this.connected().query(sql, params)).rows as ConfigMap[];
  }

  async execute(sql: string, params: unknown[] = []): Promise<SqlExecResult> {
    const result = await this.connected().query(sql, params);
    return { affectedRows: result.rowCount ?? 0, lastId: null };
  }

  async ping(): Promise<boolean> {
    try {
      await this.connected().query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** `fn` on one connection inside BEGIN/COMMIT (ROLLBACK when it throws). */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connected().connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private connected(): Pool {
    if (!this.pool) throw new Error(`${this.owner} is not started (no PostgreSQL connection)`);
    return this.pool;
  }
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { message?: string };
  return e.message || e.code || String(err);
}

// OIDs of the types whose JavaScript form differs from pg's defaults, to match what upstream's
// database/sql rows give templates and JSON: int8 as a number (a string beyond 2^53), timestamps as
// RFC 3339 text, dates as YYYY-MM-DD, bytea as its JSON value or its text.
const INT8 = 20;
const BYTEA = 17;
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

function rowValueParser(pg: PgModule): PgModule['types']['getTypeParser'] {
  const builtin = pg.types.getTypeParser;
  const byteaParser = builtin(BYTEA, 'text') as (text: string) => Buffer;
  const timestamptzParser = builtin(TIMESTAMPTZ, 'text') as (text: string) => Date;
  const parsers: Record<number, (text: string) => unknown> = {
    [INT8]: (text) => {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    },
    [BYTEA]: (text) => jsonOrText(byteaParser(text)),
    [DATE]: (text) => text,
    [TIMESTAMP]: (text) => (/^\d{4}-/.test(text) ? `${text.replace(' ', 'T')}Z` : text),
    [TIMESTAMPTZ]: (text) => {
      const date = timestamptzParser(text);
      return Number.isNaN(date.getTime()) ? text : date.toISOString();
    },
  };
  return ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && parsers[oid]
      ? parsers[oid]
      : builtin(oid, format as 'text')) as PgModule['types']['getTypeParser'];
}

/** Upstream parses byte columns as JSON when they hold JSON, else returns their text. */
function jsonOrText(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
