// storage.sqlite and database.workflow: modules that provide a SQL database service (SqlDatabaseCap)
// backed by SQLite. The module object itself is the service other modules and steps look up.
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
import { ConfigReader, resolveFrom } from '../support/index.ts';
import { MEMORY, SqliteDatabase } from './sqlite-database.ts';

export class SqlDatabaseModule implements Module, SqlDatabase, HealthCheckable {
  constructor(
    readonly name: string,
    readonly type: string,
    readonly db: SqliteDatabase,
  ) {}

  query(sql: string, params?: unknown[]): ConfigMap[] {
    return this.db.query(sql, params);
  }
  exec(sql: string, params?: unknown[]): { affectedRows: number; lastId: number | bigint | null } {
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

export const databaseWorkflowSchema: TypeSchema = {
  description: 'Workflow SQL database (driver sqlite; postgres/mysql are not available in this build)',
  configFields: [
    { key: 'driver', type: 'select', required: true, options: ['sqlite', 'sqlite3', 'postgres', 'mysql'] },
    {
      key: 'dsn',
      type: 'string',
      required: true,
      description: 'SQLite file (relative paths resolve in the app data dir), "file:..." URI or ":memory:"',
    },
    { key: 'maxOpenConns', type: 'number', default: 25, description: 'Accepted for compatibility' },
    { key: 'maxIdleConns', type: 'number', default: 5, description: 'Accepted for compatibility' },
  ],
};

const SQLITE_DRIVERS = new Set(['sqlite', 'sqlite3']);

export function createDatabaseWorkflow(spec: ModuleSpec, app: AppContext): SqlDatabaseModule {
  const c = new ConfigReader(spec.config);
  const driver = c.requiredString('driver', 'use driver: sqlite');
  if (!SQLITE_DRIVERS.has(driver)) {
    throw new ConfigValueError(`database driver "${driver}" is not available in this build`, {
      path: ['driver'],
      hint: 'use driver: sqlite with a file dsn (e.g. ./data/app.db) or ":memory:"',
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
