// The execution event store (upstream store/event_store.go): an append-only log of execution events
// per execution id, numbered 1, 2, ... in order, in SQLite; `timeline()` materializes a run (status,
// steps with their outputs and errors) from its events, as upstream's materialize() does.
import { randomUUID } from 'node:crypto';
import { type ConfigMap, defineCapability } from '../../engine/index.ts';
import type { SqliteDatabase } from '../storage/index.ts';

export interface ExecutionEvent {
  id: string;
  execution_id: string;
  sequence_num: number;
  event_type: string;
  event_data: ConfigMap;
  created_at: string;
}

export interface MaterializedStep {
  step_name: string;
  step_type?: string;
  status: string;
  output_data?: unknown;
  error?: string;
  route?: string;
  retries?: number;
  started_at?: string;
  completed_at?: string;
}

export interface MaterializedExecution {
  execution_id: string;
  pipeline?: string;
  tenant_id?: string;
  status: string;
  steps?: MaterializedStep[];
  error?: string;
  started_at?: string;
  completed_at?: string;
  event_count: number;
  /** Trigger data of the run (execution.started `input`): what a replay needs. */
  input?: ConfigMap;
}

export interface ExecutionFilter {
  pipeline?: string;
  tenantId?: string;
  status?: string;
  limit?: number;
  offset?: number;
}

/** What timeline.service needs from an event store. */
export interface EventStore {
  append(executionId: string, eventType: string, data: ConfigMap): void;
  events(executionId: string): ExecutionEvent[];
  timeline(executionId: string): MaterializedExecution | undefined;
  listExecutions(filter?: ExecutionFilter): MaterializedExecution[];
}
export const EventStoreCap = defineCapability<EventStore>(
  'EventStore',
  'append',
  'events',
  'timeline',
  'listExecutions',
);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS execution_events (
  id TEXT PRIMARY KEY,
  execution_id TEXT NOT NULL,
  sequence_num INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  event_data TEXT,
  created_at TEXT NOT NULL,
  UNIQUE(execution_id, sequence_num)
);
CREATE INDEX IF NOT EXISTS idx_execution_events_execution_id ON execution_events(execution_id);
CREATE INDEX IF NOT EXISTS idx_execution_events_event_type ON execution_events(event_type);
CREATE INDEX IF NOT EXISTS idx_execution_events_created_at ON execution_events(created_at);
`;

export class SqliteEventStore implements EventStore {
  constructor(private readonly db: SqliteDatabase) {
    db.execScript(SCHEMA);
  }

  append(executionId: string, eventType: string, data: ConfigMap): void {
    // one statement: the next sequence number and the row together (better-sqlite3 is synchronous)
    this.db.exec(
      'INSERT INTO execution_events (id, execution_id, sequence_num, event_type, event_data, created_at) ' +
        'SELECT ?, ?, COALESCE(MAX(sequence_num), 0) + 1, ?, ?, ? FROM execution_events WHERE execution_id = ?',
      [randomUUID(), executionId, eventType, safeJson(data), new Date().toISOString(), executionId],
    );
  }

  events(executionId: string): ExecutionEvent[] {
    return this.db
      .query(
        'SELECT id, execution_id, sequence_num, event_type, event_data, created_at FROM execution_events ' +
          'WHERE execution_id = ? ORDER BY sequence_num',
        [executionId],
      )
      .map((r) => ({
        id: String(r.id),
        execution_id: String(r.execution_id),
        sequence_num: Number(r.sequence_num),
        event_type: String(r.event_type),
        event_data: r.event_data ? (JSON.parse(String(r.event_data)) as ConfigMap) : {},
        created_at: String(r.created_at),
      }));
  }

  timeline(executionId: string): MaterializedExecution | undefined {
    return materialize(this.events(executionId));
  }

  /** Runs newest first (by their first event), filtered by pipeline, tenant and status. */
  listExecutions(filter: ExecutionFilter = {}): MaterializedExecution[] {
    const ids = this.db
      .query(
        'SELECT execution_id FROM execution_events GROUP BY execution_id ' +
          'ORDER BY MIN(created_at) DESC, MIN(rowid) DESC',
      )
      .map((r) => String(r.execution_id));
    const out: MaterializedExecution[] = [];
    const offset = filter.offset && filter.offset > 0 ? filter.offset : 0;
    const limit = filter.limit && filter.limit > 0 ? filter.limit : Number.POSITIVE_INFINITY;
    let skipped = 0;
    for (const id of ids) {
      if (out.length >= limit) break;
      const m = this.timeline(id);
      if (!m) continue;
      if (filter.pipeline && m.pipeline !== filter.pipeline) continue;
      if (filter.tenantId && m.tenant_id !== filter.tenantId) continue;
      if (filter.status && m.status !== filter.status) continue;
      if (skipped++ < offset) continue;
      out.push(m);
    }
    return out;
  }
}

/** JSON of event data; a value JSON cannot carry (a cycle, a BigInt) is recorded as its description. */
function safeJson(data: ConfigMap): string {
  try {
    return JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch (err) {
    return JSON.stringify({ _unrecordable: (err as Error).message });
  }
}

/** Replay a run's events into its materialized view (upstream materialize()). */
export function materialize(events: ExecutionEvent[]): MaterializedExecution | undefined {
  if (events.length === 0) return undefined;
  const m: MaterializedExecution = {
    execution_id: events[0]!.execution_id,
    status: 'unknown',
    event_count: events.length,
  };
  const steps: MaterializedStep[] = [];
  const index = new Map<string, number>();
  const stepOf = (data: ConfigMap) => {
    const i = index.get(String(data.step_name ?? ''));
    return i === undefined ? undefined : steps[i];
  };
  for (const ev of events) {
    const data = ev.event_data;
    const name = typeof data.step_name === 'string' ? data.step_name : '';
    switch (ev.event_type) {
      case 'execution.started':
        m.status = 'running';
        m.started_at = ev.created_at;
        if (typeof data.pipeline === 'string') m.pipeline = data.pipeline;
        if (typeof data.tenant_id === 'string') m.tenant_id = data.tenant_id;
        if (data.input && typeof data.input === 'object') m.input = data.input as ConfigMap;
        break;
      case 'step.started':
        if (!name) break;
        index.set(name, steps.length);
        steps.push({
          step_name: name,
          status: 'running',
          started_at: ev.created_at,
          ...(typeof data.step_type === 'string' ? { step_type: data.step_type } : {}),
        });
        break;
      case 'step.output_recorded': {
        const s = stepOf(data);
        if (s) s.output_data = data.output;
        break;
      }
      case 'step.completed':
      case 'step.failed': {
        const s = stepOf(data);
        if (!s) break;
        s.status = ev.event_type === 'step.completed' ? 'completed' : 'failed';
        s.completed_at = ev.created_at;
        if (ev.event_type === 'step.failed' && typeof data.error === 'string') s.error = data.error;
        break;
      }
      case 'step.skipped':
        if (!name) break;
        index.set(name, steps.length);
        steps.push({
          step_name: name,
          status: 'skipped',
          ...(typeof data.reason === 'string' ? { error: data.reason } : {}),
        });
        break;
      case 'step.compensated': {
        const s = stepOf(data);
        if (s) s.status = 'compensated';
        break;
      }
      case 'conditional.routed': {
        const s = stepOf(data);
        if (s && typeof data.route === 'string') s.route = data.route;
        break;
      }
      case 'retry.attempted': {
        const s = stepOf(data);
        if (s) {
          s.retries = (s.retries ?? 0) + 1;
          s.status = 'running';
        }
        break;
      }
      case 'execution.completed':
        m.status = 'completed';
        m.completed_at = ev.created_at;
        break;
      case 'execution.failed':
        m.status = 'failed';
        m.completed_at = ev.created_at;
        if (typeof data.error === 'string') m.error = data.error;
        break;
      case 'execution.cancelled':
        m.status = 'cancelled';
        m.completed_at = ev.created_at;
        break;
      case 'saga.compensating':
        m.status = 'compensating';
        break;
      case 'saga.compensated':
        m.status = 'compensated';
        m.completed_at = ev.created_at;
        break;
    }
  }
  if (steps.length > 0) m.steps = steps;
  return m;
}
