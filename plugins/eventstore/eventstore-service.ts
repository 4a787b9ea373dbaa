// eventstore.service (upstream module/eventstore_service.go): a SQLite execution event store,
// registered as `<name>` and `<name>.admin`. It is also the app's execution recorder: every pipeline
// run's events (execution.started, step.started, step.output_recorded, step.completed|failed|skipped,
// execution.completed|failed) are appended to it, so timeline.service can show and list runs.
import type {
  AppContext,
  ConfigMap,
  ExecutionRecorder,
  Logger,
  Module,
  ModuleSpec,
  TypeSchema,
} from '../../engine/index.ts';
import { SqliteDatabase } from '../storage/index.ts';
import { ConfigReader, resolveFrom } from '../support/index.ts';
import {
  type EventStore,
  type ExecutionEvent,
  type ExecutionFilter,
  type MaterializedExecution,
  SqliteEventStore,
} from './event-store.ts';

export const eventStoreServiceSchema: TypeSchema = {
  description: 'Execution event store: records every pipeline run in SQLite for timelines',
  configFields: [
    {
      key: 'db_path',
      type: 'filepath',
      default: 'events.db',
      description: 'SQLite file (relative: the data dir); ":memory:" keeps events in memory',
    },
    { key: 'retention_days', type: 'number', default: 90, description: 'Reported only (not applied, as upstream)' },
  ],
  validate(config) {
    const v = config.retention_days;
    return v !== undefined && v !== null && !(Number.isInteger(Number(v)) && Number(v) >= 0)
      ? [{ message: '"retention_days" must be a whole number >= 0', path: ['retention_days'] }]
      : [];
  },
};

export class EventStoreServiceModule implements Module, EventStore, ExecutionRecorder {
  readonly type = 'eventstore.service';
  readonly retentionDays: number;
  private readonly dbPath: string;
  private db?: SqliteDatabase;
  private store?: SqliteEventStore;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.dbPath = c.string('db_path') || 'events.db';
    this.retentionDays = c.number('retention_days', 90)!;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: this.type, module: this.name });
    const path = this.dbPath === ':memory:' ? this.dbPath : resolveFrom(app.dataDir, this.dbPath);
    this.db = new SqliteDatabase(path);
    this.store = new SqliteEventStore(this.db);
    app.services.register(`${this.name}.admin`, this);
    this.logger.info({ path }, 'opened event store');
  }

  stop(): void {
    this.db?.close();
  }

  recordExecutionEvent(executionId: string, eventType: string, data: ConfigMap): void {
    try {
      this.opened().append(executionId, eventType, data);
    } catch (err) {
      this.logger?.error({ executionId, eventType, err: (err as Error).message }, 'cannot record execution event');
    }
  }

  append(executionId: string, eventType: string, data: ConfigMap): void {
    this.opened().append(executionId, eventType, data);
  }

  events(executionId: string): ExecutionEvent[] {
    return this.opened().events(executionId);
  }

  timeline(executionId: string): MaterializedExecution | undefined {
    return this.opened().timeline(executionId);
  }

  listExecutions(filter?: ExecutionFilter): MaterializedExecution[] {
    return this.opened().listExecutions(filter);
  }

  private opened(): SqliteEventStore {
    if (!this.store) throw new Error(`eventstore.service "${this.name}" used before init`);
    return this.store;
  }
}

export function createEventStoreService(spec: ModuleSpec): EventStoreServiceModule {
  return new EventStoreServiceModule(spec.name, spec.config);
}
