// The dead letter store behind dlq.service (upstream store/dlq.go): entries with a status that moves
// pending -> retrying / resolved / discarded, filtered lists newest first, counts, and a purge of
// settled entries. One implementation, on SQLite: in memory by default, a file when `db_path` is set.
import { randomUUID } from 'node:crypto';
import type { SqliteDatabase } from '../storage/index.ts';

export const DLQ_STATUSES = ['pending', 'retrying', 'resolved', 'discarded'] as const;
export type DlqStatus = (typeof DLQ_STATUSES)[number];

export interface DlqEntry {
  id: string;
  original_event: unknown;
  pipeline_name: string;
  step_name: string;
  error_message: string;
  error_type: string;
  retry_count: number;
  max_retries: number;
  status: DlqStatus;
  created_at: string;
  updated_at: string;
  resolved_at?: string;
  metadata?: Record<string, unknown>;
}

export interface DlqFilter {
  pipeline?: string;
  step?: string;
  status?: string;
  errorType?: string;
  limit?: number;
  offset?: number;
}

export type NewDlqEntry = Partial<Omit<DlqEntry, 'id' | 'created_at' | 'updated_at' | 'status'>>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dlq_entries (
  id TEXT PRIMARY KEY,
  original_event TEXT,
  pipeline_name TEXT NOT NULL,
  step_name TEXT NOT NULL,
  error_message TEXT NOT NULL,
  error_type TEXT NOT NULL,
  retry_count INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  resolved_at TEXT,
  metadata TEXT
);
CREATE INDEX IF NOT EXISTS idx_dlq_entries_status ON dlq_entries(status);
CREATE INDEX IF NOT EXISTS idx_dlq_entries_created_at ON dlq_entries(created_at);
`;

const COLUMNS =
  'id, original_event, pipeline_name, step_name, error_message, error_type, retry_count, max_retries, status, ' +
  'created_at, updated_at, resolved_at, metadata';

export class DlqStore {
  constructor(private readonly db: SqliteDatabase) {
    db.execScript(SCHEMA);
  }

  add(entry: NewDlqEntry): DlqEntry {
    const now = new Date().toISOString();
    const row: DlqEntry = {
      id: randomUUID(),
      original_event: entry.original_event ?? null,
      pipeline_name: entry.pipeline_name ?? '',
      step_name: entry.step_name ?? '',
      error_message: entry.error_message ?? '',
      error_type: entry.error_type ?? '',
      retry_count: entry.retry_count ?? 0,
      max_retries: entry.max_retries ?? 0,
      status: 'pending',
      created_at: now,
      updated_at: now,
      ...(entry.metadata ? { metadata: entry.metadata } : {}),
    };
    this.db.exec(`INSERT INTO dlq_entries (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      row.id,
      JSON.stringify(row.original_event),
      row.pipeline_name,
      row.step_name,
      row.error_message,
      row.error_type,
      row.retry_count,
      row.max_retries,
      row.status,
      row.created_at,
      row.updated_at,
      null,
      row.metadata ? JSON.stringify(row.metadata) : null,
    ]);
    return row;
  }

  get(id: string): DlqEntry | undefined {
    const rows = this.db.query(`SELECT ${COLUMNS} FROM dlq_entries WHERE id = ?`, [id]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** Newest first; `limit` 0 or absent means all. */
  list(filter: DlqFilter = {}): DlqEntry[] {
    const { where, args } = whereClause(filter);
    const page = filter.limit && filter.limit > 0 ? ` LIMIT ${filter.limit}` : ' LIMIT -1';
    const offset = filter.offset && filter.offset > 0 ? ` OFFSET ${filter.offset}` : '';
    return this.db
      .query(`SELECT ${COLUMNS} FROM dlq_entries${where} ORDER BY created_at DESC, rowid DESC${page}${offset}`, args)
      .map(fromRow);
  }

  count(filter: DlqFilter = {}): number {
    const { where, args } = whereClause(filter);
    return Number(this.db.query(`SELECT COUNT(*) AS n FROM dlq_entries${where}`, args)[0]!.n);
  }

  /** retry_count + 1 and status retrying; false when there is no such entry. */
  retry(id: string): boolean {
    return this.update(id, 'retry_count = retry_count + 1, status = ?', ['retrying']);
  }

  discard(id: string): boolean {
    return this.update(id, 'status = ?', ['discarded']);
  }

  resolve(id: string): boolean {
    return this.update(id, 'status = ?, resolved_at = ?', ['resolved', new Date().toISOString()]);
  }

  /** Remove resolved and discarded entries last updated before `olderThanMs` ago. */
  purge(olderThanMs: number): number {
    const cutoff = new Date(Date.now() - olderThanMs).toISOString();
    return this.db.exec(`DELETE FROM dlq_entries WHERE status IN ('resolved', 'discarded') AND updated_at < ?`, [
      cutoff,
    ]).affectedRows;
  }

  private update(id: string, set: string, args: unknown[]): boolean {
    const now = new Date().toISOString();
    return (
      this.db.exec(`UPDATE dlq_entries SET ${set}, updated_at = ? WHERE id = ?`, [...args, now, id]).affectedRows > 0
    );
  }
}

function whereClause(filter: DlqFilter): { where: string; args: unknown[] } {
  const conditions: string[] = [];
  const args: unknown[] = [];
  const add = (column: string, value: string | undefined) => {
    if (!value) return;
    conditions.push(`${column} = ?`);
    args.push(value);
  };
  add('pipeline_name', filter.pipeline);
  add('step_name', filter.step);
  add('status', filter.status);
  add('error_type', filter.errorType);
  return { where: conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '', args };
}

function fromRow(r: Record<string, unknown>): DlqEntry {
  const entry: DlqEntry = {
    id: String(r.id),
    original_event: r.original_event === null ? null : JSON.parse(String(r.original_event)),
    pipeline_name: String(r.pipeline_name),
    step_name: String(r.step_name),
    error_message: String(r.error_message),
    error_type: String(r.error_type),
    retry_count: Number(r.retry_count),
    max_retries: Number(r.max_retries),
    status: String(r.status) as DlqStatus,
    created_at: String(r.created_at),
    updated_at: String(r.updated_at),
  };
  if (r.resolved_at) entry.resolved_at = String(r.resolved_at);
  if (r.metadata) entry.metadata = JSON.parse(String(r.metadata)) as Record<string, unknown>;
  return entry;
}
