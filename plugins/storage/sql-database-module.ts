// storage.sqlite and database.workflow: modules that provide a SQL database service. The module
// object itself is the service other modules and steps look up. SQLite modules are both a SqlClient
// (what the SQL steps use) and the synchronous SqlDatabase (persistence.store and other stores);
// PostgreSQL modules (database.workflow driver postgres/pgx/pgx/v5) are a SqlClient only.
import {
  ConfigValueError,
  type ConfigMap,
  type HealthCheckable,
  type Module,
  type ModuleSpec,
  type AppContext,
  type SqlDatabase,
  type TypeSchema,
} from '../../engine/index.ts';
import { checkedBy, ConfigReader, resolveFrom } from '../support/index.ts';
import { DsnError, parsePostgresDsn, type PostgresDsn } from './postgres-dsn.ts';
import { PostgresDatabase, type PostgresPoolOptions } from './postgres-database.ts';
import type { SqlClient, SqlExecResult } from './sql-client.ts';
import { MEMORY, SqliteDatabase } from './sqlite-database.ts';

export class SqlDatabaseModule implements Module, SqlDatabase, SqlClient, HealthCheckable {
  readonly dialect = 'sqlite';
  constructor(
    readonly name: string,
    readonly type: string,
    readonly db: SqliteDatabase,
  ) {}

  queryRows(sql: string, params?: unknown[]): Promise<ConfigMap[]> {
    return this.db.queryRows(sql, params);
  }
  execute(sql: string, params?: unknown[]): Promise<SqlExecResult> {
    return this.db.execute(sql, params);
  }
  query(sql: string, params?: unknown[]): ConfigMap[] {
    return this.db.query(sql, params);
  }
  exec(sql: string, params?: unknown[]): SqlExecResult {
    return this.db.exec(sql, params);
  }
  execScript(sql: string): void {
    this.db.execScript(sql);
  }
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn);
  }
  ping(): boolean {
    return this.db.ping();
  }
  async healthCheck(): Promise<{ status: 'healthy' | 'unhealthy'; message?: string }> {
    return this.db.ping()
      ? { status: 'healthy' }
      : { status: 'unhealthy', message: `database ${this.db.path} does not answer` };
  }
  start(): void {
    // Open at start so a bad path fails the app's start, not its first request.
    this.db.connection();
  }
  stop(): void {
    this.db.close();
  }
}

export const storageSqliteSchema: TypeSchema = {
  description: 'SQLite database provided as a service (better-sqlite3)',
  configFields: [
    {
      key: 'dbPath',
      type: 'filepath',
      default: 'data/workflow.db',
      aliases: ['path'],
      description: 'Database file, relative to the config file directory; ":memory:" for a private in-memory database',
    },
    { key: 'walMode', type: 'boolean', default: true, description: 'Write-ahead logging' },
    {
      key: 'maxConnections',
      type: 'number',
      default: 5,
      description: 'Accepted for compatibility; one connection per process is used',
    },
  ],
};

export function createStorageSqlite(spec: ModuleSpec, app: AppContext): SqlDatabaseModule {
  const c = new ConfigReader(spec.config);
  const dbPath = c.string(['dbPath', 'path'], 'data/workflow.db')!;
  const base = typeof spec.config._config_dir === 'string' ? spec.config._config_dir : app.configDir;
  const path = dbPath === MEMORY ? MEMORY : resolveFrom(base, dbPath);
  return new SqlDatabaseModule(spec.name, spec.type, new SqliteDatabase(path, { walMode: c.boolean('walMode', true) }));
}

/** A database.workflow (or database.partitioned) on PostgreSQL: pg pool from start to stop. */
export class PostgresDatabaseModule implements Module, SqlClient, HealthCheckable {
  readonly dialect = 'postgres';
  constructor(
    readonly name: string,
    readonly type: string,
    readonly db: PostgresDatabase,
  ) {}

  queryRows(sql: string, params?: unknown[]): Promise<ConfigMap[]> {
    return this.db.queryRows(sql, params);
  }
  execute(sql: string, params?: unknown[]): Promise<SqlExecResult> {
    return this.db.execute(sql, params);
  }
  async healthCheck(): Promise<{ status: 'healthy' | 'unhealthy'; message?: string }> {
    return (await this.db.ping())
      ? { status: 'healthy' }
      : { status: 'unhealthy', message: `PostgreSQL at ${this.db.dsn.target} does not answer` };
  }
  start(app: AppContext): Promise<void> {
    return this.db.open(app.logger);
  }
  stop(): Promise<void> {
    return this.db.close();
  }
}

export const POSTGRES_DRIVERS = ['postgres', 'pgx', 'pgx/v5'];
const SQLITE_DRIVERS = ['sqlite', 'sqlite3'];

/** Config keys of a PostgreSQL connection (database.workflow and database.partitioned share them). */
export const postgresConnectionFields: TypeSchema['configFields'] = [
  {
    key: 'dsn',
    type: 'string',
    required: true,
    description:
      'postgres: postgres://user:pass@host:5432/db?sslmode=disable or "host=... port=... dbname=... user=..."; ' +
      'sqlite: a file (relative paths resolve in the app data dir), "file:..." URI or ":memory:"',
  },
  { key: 'maxOpenConns', type: 'number', default: 0, description: 'postgres: pool size (0 = 10); sqlite: ignored' },
  { key: 'maxIdleConns', type: 'number', default: 0, description: 'Accepted for compatibility' },
  { key: 'connMaxLifetime', type: 'duration', description: 'postgres: reopen connections older than this' },
];

export const databaseWorkflowSchema: TypeSchema = {
  description: 'Workflow SQL database: SQLite (better-sqlite3) or PostgreSQL (pg)',
  configFields: [
    { key: 'driver', type: 'select', required: true, options: [...SQLITE_DRIVERS, ...POSTGRES_DRIVERS, 'mysql'] },
    ...postgresConnectionFields,
  ],
  validate: checkedBy((config) => {
    if (POSTGRES_DRIVERS.includes(String(config.driver))) checkPostgresSettings(config);
  }),
};

/** The PostgreSQL connection a module's config describes (`dsn`, pool keys); errors located. */
function postgresSettings(config: ConfigMap): { dsn: PostgresDsn; pool: PostgresPoolOptions } {
  const c = new ConfigReader(config);
  const dsnText = c.requiredString('dsn', 'e.g. dsn: postgres://app:secret@db.internal:5432/app?sslmode=disable');
  let dsn: PostgresDsn;
  try {
    dsn = parsePostgresDsn(dsnText);
  } catch (err) {
    if (!(err instanceof DsnError)) throw err;
    throw new ConfigValueError(`PostgreSQL dsn: ${err.message}`, {
      path: ['dsn'],
      hint: 'use postgres://user:password@host:5432/database or "host=... port=5432 dbname=... user=..."',
    });
  }
  const maxOpenConns = c.number('maxOpenConns', 0)!;
  if (!Number.isInteger(maxOpenConns) || maxOpenConns < 0)
    throw new ConfigValueError(`"maxOpenConns" must be a whole number >= 0, got ${maxOpenConns}`, {
      path: ['maxOpenConns'],
    });
  return { dsn, pool: { maxOpenConns, connMaxLifetimeMs: c.duration('connMaxLifetime', 0) } };
}

/** `wfctl validate`'s check of a PostgreSQL connection config (a `${VAR}` dsn is checked at load). */
export function checkPostgresSettings(config: ConfigMap): void {
  if (typeof config.dsn === 'string' && config.dsn.includes('${')) return;
  postgresSettings(config);
}

export function postgresFromConfig(spec: ModuleSpec): PostgresDatabase {
  const { dsn, pool } = postgresSettings(spec.config);
  return new PostgresDatabase(dsn, `${spec.type} "${spec.name}"`, pool);
}

export function createDatabaseWorkflow(spec: ModuleSpec, app: AppContext): SqlDatabaseModule | PostgresDatabaseModule {
  const c = new ConfigReader(spec.config);
  const driver = c.requiredString('driver', 'use driver: sqlite or driver: postgres');
  if (POSTGRES_DRIVERS.includes(driver))
    return new PostgresDatabaseModule(spec.name, spec.type, postgresFromConfig(spec));
  if (!SQLITE_DRIVERS.includes(driver)) {
    throw new ConfigValueError(`database driver "${driver}" is not available in this build`, {
      path: ['driver'],
      hint: `use driver: sqlite (a file dsn or ":memory:") or driver: postgres (a postgres:// dsn)`,
    });
  }
  const dsn = c.requiredString('dsn', 'e.g. dsn: ./data/app.db or dsn: ":memory:"');
  return new SqlDatabaseModule(spec.name, spec.type, new SqliteDatabase(sqlitePathFromDsn(dsn, app.dataDir)));
}

/** "file:x.db?cache=shared", "x.db", ":memory:", "file::memory:" -> a better-sqlite3 path. */
export function sqlitePathFromDsn(dsn: string, dataDir: string): string {
  let path = dsn.startsWith('file:') ? dsn.slice('file:'.length) : dsn;
  if (path.startsWith('//')) path = path.slice(2); // file:///abs/path
  const q = path.indexOf('?');
  if (q !== -1) {
    if (/(^|&)mode=memory(&|$)/.test(path.slice(q + 1))) return MEMORY;
    path = path.slice(0, q);
  }
  if (path === MEMORY || path === '') return MEMORY;
  return resolveFrom(dataDir, path);
}
