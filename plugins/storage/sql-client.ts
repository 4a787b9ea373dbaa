// SqlClient: the asynchronous SQL interface every SQL driver implements (SQLite through
// better-sqlite3, PostgreSQL through pg) and the one the SQL steps use, so step.db_query, db_exec and
// db_query_cached have one implementation for every driver. The older synchronous SqlDatabase
// service (persistence.store, feature flags) stays SQLite-only.
import { defineCapability, type ConfigMap } from '../../engine/index.ts';

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlExecResult {
  affectedRows: number;
  /** SQLite's last rowid; null for PostgreSQL (use RETURNING). */
  lastId: number | bigint | null;
}

export interface SqlClient {
  readonly dialect: SqlDialect;
  /** Rows of a statement; `$1..$N` (both dialects) or `?` (SQLite) placeholders. */
  queryRows(sql: string, params?: unknown[]): Promise<ConfigMap[]>;
  execute(sql: string, params?: unknown[]): Promise<SqlExecResult>;
}

export const SqlClientCap = defineCapability<SqlClient>('SqlClient', 'queryRows', 'execute');
