// plugins/storage: SQLite-backed database modules, the persistence store, and SQL steps.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import {
  createDatabaseWorkflow,
  createStorageSqlite,
  databaseWorkflowSchema,
  storageSqliteSchema,
} from './sql-database-module.ts';
import { createPersistenceStore, persistenceStoreSchema } from './persistence-store.ts';
import { createDbExecStep, createDbQueryStep, dbExecStepSchema, dbQueryStepSchema } from './db-steps.ts';

export const storagePlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'storage.sqlite': createStorageSqlite,
    'database.workflow': createDatabaseWorkflow,
    'persistence.store': createPersistenceStore,
  },
  moduleSchemas: {
    'storage.sqlite': storageSqliteSchema,
    'database.workflow': databaseWorkflowSchema,
    'persistence.store': persistenceStoreSchema,
  },
  steps: { 'step.db_query': createDbQueryStep, 'step.db_exec': createDbExecStep },
  stepSchemas: { 'step.db_query': dbQueryStepSchema, 'step.db_exec': dbExecStepSchema },
};

export { SqliteDatabase } from './sqlite-database.ts';
export { SqlDatabaseModule, sqlitePathFromDsn } from './sql-database-module.ts';
export {
  PersistenceStoreCap,
  PersistenceStoreModule,
  findPersistenceStore,
  type PersistenceStore,
  type UserRecord,
  type WorkflowInstanceRecord,
} from './persistence-store.ts';
export { toSqlitePlaceholders } from './sql-params.ts';
