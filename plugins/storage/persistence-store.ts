// persistence.store: write-through persistence of workflow instances, api.handler resources and
// auth users in a SQL database module. Tables and columns match upstream's PersistenceStore so a
// database written by either engine can be read by the other (PII field encryption is not ported).
import {
  ConfigValueError,
  SqlDatabaseCap,
  defineCapability,
  type AppContext,
  type ConfigMap,
  type HealthCheckable,
  type Module,
  type ModuleSpec,
  type SqlDatabase,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

export interface WorkflowInstanceRecord {
  id: string;
  workflowType: string;
  currentState: string;
  previousState: string;
  data: ConfigMap;
  startTime: string;
  lastUpdated: string;
  completed: boolean;
  error: string;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  metadata: ConfigMap;
  createdAt: string;
}

/** What api.handler, auth.jwt and statemachine.engine need from a persistence store. */
export interface PersistenceStore {
  saveResource(resourceType: string, id: string, data: ConfigMap): void;
  loadResources(resourceType: string): Map<string, ConfigMap>;
  loadResource(resourceType: string, id: string): ConfigMap | undefined;
  deleteResource(resourceType: string, id: string): void;
  saveWorkflowInstance(instance: WorkflowInstanceRecord): void;
  loadWorkflowInstances(workflowType?: string): WorkflowInstanceRecord[];
  deleteWorkflowInstance(id: string): void;
  saveUser(user: UserRecord): void;
  loadUsers(): UserRecord[];
  deleteUser(id: string): void;
}

export const PersistenceStoreCap = defineCapability<PersistenceStore>(
  'PersistenceStore',
  'saveResource',
  'loadResources',
  'deleteResource',
  'saveWorkflowInstance',
  'loadWorkflowInstances',
  'saveUser',
  'loadUsers',
);

/** The persistence store a module should use: the named one, else "persistence" (upstream), else the first. */
export function findPersistenceStore(app: AppContext, name?: string): PersistenceStore | undefined {
  if (name) {
    const svc = app.services.get(name);
    if (!PersistenceStoreCap.is(svc)) throw new Error(`"${name}" is not a persistence.store module`);
    return svc;
  }
  const conventional = app.services.get('persistence');
  if (PersistenceStoreCap.is(conventional)) return conventional;
  return app.services.find(PersistenceStoreCap);
}

const MIGRATION = `
CREATE TABLE IF NOT EXISTS workflow_instances (
  id TEXT PRIMARY KEY,
  workflow_type TEXT NOT NULL,
  current_state TEXT NOT NULL,
  previous_state TEXT DEFAULT '',
  data TEXT DEFAULT '{}',
  start_time TEXT NOT NULL,
  last_updated TEXT NOT NULL,
  completed INTEGER DEFAULT 0,
  error_msg TEXT DEFAULT ''
);
CREATE TABLE IF NOT EXISTS resources (
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  data TEXT NOT NULL,
  state TEXT DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (resource_type, id)
);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT UNIQUE NOT NULL,
  name TEXT DEFAULT '',
  password_hash TEXT NOT NULL,
  metadata TEXT DEFAULT '{}',
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_instances_type ON workflow_instances(workflow_type);
CREATE INDEX IF NOT EXISTS idx_resources_type ON resources(resource_type);
`;

export const persistenceStoreSchema: TypeSchema = {
  description: 'Write-through persistence (instances, resources, users) in a database module',
  configFields: [
    {
      key: 'database',
      type: 'string',
      default: 'database',
      description: 'Name of a storage.sqlite or database.workflow module',
    },
  ],
};

export class PersistenceStoreModule implements Module, PersistenceStore, HealthCheckable {
  readonly type = 'persistence.store';
  private db?: SqlDatabase;
  private migrated = false;
  private app?: AppContext;

  constructor(
    readonly name: string,
    private readonly databaseName: string,
  ) {}

  init(app: AppContext): void {
    this.app = app;
    const svc = app.services.get(this.databaseName);
    if (svc === undefined) {
      throw new ConfigValueError(`persistence.store "${this.name}": database module "${this.databaseName}" not found`, {
        path: ['database'],
        hint: 'set config.database to the name of a database.workflow or storage.sqlite module',
      });
    }
    if (!SqlDatabaseCap.is(svc)) {
      throw new ConfigValueError(
        `persistence.store "${this.name}": module "${this.databaseName}" is not a SQLite database ` +
          '(persistence.store keeps its tables in SQLite)',
        { path: ['database'], hint: 'point it at a storage.sqlite or database.workflow module with driver: sqlite' },
      );
    }
    this.db = svc;
  }

  async healthCheck(): Promise<{ status: 'healthy' | 'unhealthy'; message?: string }> {
    return this.database().ping()
      ? { status: 'healthy' }
      : { status: 'unhealthy', message: `database "${this.databaseName}" does not answer` };
  }

  saveResource(resourceType: string, id: string, data: ConfigMap): void {
    const now = new Date().toISOString();
    const state = typeof data.state === 'string' ? data.state : '';
    this.database().exec(
      `INSERT INTO resources (resource_type, id, data, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(resource_type, id) DO UPDATE SET data = excluded.data, state = excluded.state,
         updated_at = excluded.updated_at`,
      [resourceType, id, JSON.stringify(data), state, now, now],
    );
  }

  loadResources(resourceType: string): Map<string, ConfigMap> {
    const rows = this.database().query(
      'SELECT id, data FROM resources WHERE resource_type = ? ORDER BY created_at, id',
      [resourceType],
    );
    return new Map(rows.map((r) => [String(r.id), this.parse(r.data, `resource ${resourceType}/${String(r.id)}`)]));
  }

  loadResource(resourceType: string, id: string): ConfigMap | undefined {
    const [row] = this.database().query('SELECT data FROM resources WHERE resource_type = ? AND id = ?', [
      resourceType,
      id,
    ]);
    return row ? this.parse(row.data, `resource ${resourceType}/${id}`) : undefined;
  }

  deleteResource(resourceType: string, id: string): void {
    this.database().exec('DELETE FROM resources WHERE resource_type = ? AND id = ?', [resourceType, id]);
  }

  saveWorkflowInstance(i: WorkflowInstanceRecord): void {
    this.database().exec(
      `INSERT INTO workflow_instances
         (id, workflow_type, current_state, previous_state, data, start_time, last_updated, completed, error_msg)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET workflow_type = excluded.workflow_type, current_state = excluded.current_state,
         previous_state = excluded.previous_state, data = excluded.data, last_updated = excluded.last_updated,
         completed = excluded.completed, error_msg = excluded.error_msg`,
      [
        i.id,
        i.workflowType,
        i.currentState,
        i.previousState,
        JSON.stringify(i.data),
        i.startTime,
        i.lastUpdated,
        i.completed ? 1 : 0,
        i.error,
      ],
    );
  }

  loadWorkflowInstances(workflowType?: string): WorkflowInstanceRecord[] {
    const rows =
      workflowType === undefined
        ? this.database().query('SELECT * FROM workflow_instances ORDER BY start_time, id')
        : this.database().query('SELECT * FROM workflow_instances WHERE workflow_type = ? ORDER BY start_time, id', [
            workflowType,
          ]);
    return rows.map((r) => ({
      id: String(r.id),
      workflowType: String(r.workflow_type),
      currentState: String(r.current_state),
      previousState: String(r.previous_state ?? ''),
      data: this.parse(r.data, `workflow instance ${String(r.id)}`),
      startTime: String(r.start_time),
      lastUpdated: String(r.last_updated),
      completed: Number(r.completed) !== 0,
      error: String(r.error_msg ?? ''),
    }));
  }

  deleteWorkflowInstance(id: string): void {
    this.database().exec('DELETE FROM workflow_instances WHERE id = ?', [id]);
  }

  saveUser(u: UserRecord): void {
    this.database().exec(
      `INSERT INTO users (id, email, name, password_hash, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET email = excluded.email, name = excluded.name,
         password_hash = excluded.password_hash, metadata = excluded.metadata`,
      [u.id, u.email, u.name, u.passwordHash, JSON.stringify(u.metadata ?? {}), u.createdAt],
    );
  }

  deleteUser(id: string): void {
    this.database().exec('DELETE FROM users WHERE id = ?', [id]);
  }

  loadUsers(): UserRecord[] {
    return this.database()
      .query(
        "SELECT id, email, name, password_hash, COALESCE(metadata, '{}') AS metadata, created_at FROM users " +
          'ORDER BY created_at, id',
      )
      .map((r) => ({
        id: String(r.id),
        email: String(r.email),
        name: String(r.name ?? ''),
        passwordHash: String(r.password_hash),
        metadata: this.parse(r.metadata, `user ${String(r.id)}`),
        createdAt: String(r.created_at),
      }));
  }

  /** The database, migrated on first use (callers may run before or after this module's init). */
  private database(): SqlDatabase {
    if (!this.db) throw new Error(`persistence.store "${this.name}" used before init`);
    if (!this.migrated) {
      const scriptable = this.db as SqlDatabase & { execScript?(sql: string): void };
      if (scriptable.execScript) scriptable.execScript(MIGRATION);
      else
        for (const stmt of MIGRATION.split(';')
          .map((s) => s.trim())
          .filter(Boolean))
          this.db.exec(stmt);
      this.migrated = true;
    }
    return this.db;
  }

  /** A stored JSON column; a corrupt row is reported with where it is, never silently dropped. */
  private parse(text: unknown, what: string): ConfigMap {
    try {
      const value: unknown = JSON.parse(String(text ?? '{}'));
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as ConfigMap) : { value };
    } catch (err) {
      const where = this.app ? ` (app ${this.app.appName})` : '';
      throw new Error(
        `persistence.store "${this.name}"${where}: ${what} has corrupt JSON data: ${(err as Error).message}`,
      );
    }
  }
}

export function createPersistenceStore(spec: ModuleSpec): PersistenceStoreModule {
  return new PersistenceStoreModule(spec.name, new ConfigReader(spec.config).string('database', 'database')!);
}
