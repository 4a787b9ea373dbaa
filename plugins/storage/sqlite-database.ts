// The one SQLite connection type behind storage.sqlite and database.workflow: better-sqlite3,
// opened lazily on first use (so modules can be inited in any order), closed on stop.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { ConfigMap, SqlDatabase } from '../../engine/index.ts';
import type { SqlClient, SqlExecResult } from './sql-client.ts';
import { bindValues, toSqlitePlaceholders } from './sql-params.ts';

export const MEMORY = ':memory:';

const require = createRequire(import.meta.url);
// loaded on first connection: every `wfctl run` imports this plugin, few apps open a database
let openDatabase: typeof Database | undefined;

/** Prepared statements kept per connection; SQL text is fixed per step, so a small cache hits. */
const STATEMENT_CACHE_SIZE = 256;

export class SqliteDatabase implements SqlDatabase, SqlClient {
  readonly dialect = 'sqlite';
  private db?: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    readonly path: string,
    private readonly opts: { walMode?: boolean; busyTimeoutMs?: number } = {},
  ) {}

  /** The open connection (opening it, creating parent directories, on first use). */
  connection(): Database.Database {
    if (this.db) return this.db;
    if (this.path !== MEMORY) mkdirSync(dirname(this.path), { recursive: true });
    openDatabase ??= require('better-sqlite3') as typeof Database;
    const db = new openDatabase(this.path);
    try {
      db.pragma(`busy_timeout = ${this.opts.busyTimeoutMs ?? 5000}`);
      if (this.opts.walMode !== false && this.path !== MEMORY) db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    return db;
  }

  query(sql: string, params: unknown[] = []): ConfigMap[] {
    const text = toSqlitePlaceholders(sql);
    const stmt = this.prepare(text.sql);
    const bound = bindValues(text, params);
    if (!stmt.reader) {
      stmt.run(...bound);
      return [];
    }
    return stmt.all(...bound) as ConfigMap[];
  }

  exec(sql: string, params: unknown[] = []): SqlExecResult {
    const text = toSqlitePlaceholders(sql);
    const info = this.prepare(text.sql).run(...bindValues(text, params));
    return { affectedRows: info.changes, lastId: info.changes > 0 ? info.lastInsertRowid : null };
  }

  async queryRows(sql: string, params: unknown[] = []): Promise<ConfigMap[]> {
    return this.query(sql, params);
  }

  async execute(sql: string, params: unknown[] = []): Promise<SqlExecResult> {
    return this.exec(sql, params);
  }

  /** Run several statements (migrations); no parameters. */
  execScript(sql: string): void {
    this.connection().exec(sql);
  }

  transaction<T>(fn: () => T): T {
    return this.connection().transaction(fn)();
  }

  ping(): boolean {
    try {
      this.connection().prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }

  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.connection().prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}
