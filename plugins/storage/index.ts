// plugins/storage: SQL database modules (SQLite, PostgreSQL, partitioned PostgreSQL), the persistence
// store, SQL and partition steps, file and artifact stores, and a Redis cache.
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
import { createDbQueryCachedStep, dbQueryCachedStepSchema } from './db-query-cached.ts';
import { createDatabasePartitioned, databasePartitionedSchema } from './partitioned-database.ts';
import {
  createDbCreatePartitionStep,
  createDbSyncPartitionsStep,
  dbCreatePartitionStepSchema,
  dbSyncPartitionsStepSchema,
} from './partition-steps.ts';
import { artifactStoreSchema, createArtifactStore } from './artifact-store.ts';
import {
  artifactDeleteSchema,
  artifactDownloadSchema,
  artifactListSchema,
  artifactUploadSchema,
  createArtifactDeleteStep,
  createArtifactDownloadStep,
  createArtifactListStep,
  createArtifactUploadStep,
} from './artifact-steps.ts';
import { createStorageLocal, storageLocalSchema } from './storage-local.ts';
import { createRedisCache, redisCacheSchema } from './redis-cache.ts';

export const storagePlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'storage.sqlite': createStorageSqlite,
    'database.workflow': createDatabaseWorkflow,
    'database.partitioned': createDatabasePartitioned,
    'persistence.store': createPersistenceStore,
    'storage.local': createStorageLocal,
    'storage.artifact': createArtifactStore,
    'cache.redis': createRedisCache,
  },
  moduleSchemas: {
    'storage.sqlite': storageSqliteSchema,
    'database.workflow': databaseWorkflowSchema,
    'database.partitioned': databasePartitionedSchema,
    'persistence.store': persistenceStoreSchema,
    'storage.local': storageLocalSchema,
    'storage.artifact': artifactStoreSchema,
    'cache.redis': redisCacheSchema,
  },
  steps: {
    'step.db_query': createDbQueryStep,
    'step.db_exec': createDbExecStep,
    'step.db_query_cached': createDbQueryCachedStep,
    'step.db_create_partition': createDbCreatePartitionStep,
    'step.db_sync_partitions': createDbSyncPartitionsStep,
    'step.artifact_upload': createArtifactUploadStep,
    'step.artifact_download': createArtifactDownloadStep,
    'step.artifact_list': createArtifactListStep,
    'step.artifact_delete': createArtifactDeleteStep,
  },
  stepSchemas: {
    'step.db_query': dbQueryStepSchema,
    'step.db_exec': dbExecStepSchema,
    'step.db_query_cached': dbQueryCachedStepSchema,
    'step.db_create_partition': dbCreatePartitionStepSchema,
    'step.db_sync_partitions': dbSyncPartitionsStepSchema,
    'step.artifact_upload': artifactUploadSchema,
    'step.artifact_download': artifactDownloadSchema,
    'step.artifact_list': artifactListSchema,
    'step.artifact_delete': artifactDeleteSchema,
  },
};

export { SqliteDatabase } from './sqlite-database.ts';
export { SqlDatabaseModule, PostgresDatabaseModule, sqlitePathFromDsn } from './sql-database-module.ts';
export { SqlClientCap, type SqlClient, type SqlDialect, type SqlExecResult } from './sql-client.ts';
export { parsePostgresDsn } from './postgres-dsn.ts';
export { PartitionManagerCap, type PartitionManager } from './partitioned-database.ts';
export {
  PersistenceStoreCap,
  PersistenceStoreModule,
  findPersistenceStore,
  type PersistenceStore,
  type UserRecord,
  type WorkflowInstanceRecord,
} from './persistence-store.ts';
export { toSqlitePlaceholders } from './sql-params.ts';
export { ArtifactStoreCap, type ArtifactStore, type ArtifactInfo } from './artifact-store.ts';
export { FileStorageCap, type FileStorage } from './storage-local.ts';
export { InvalidKeyError, NotFoundError } from './local-file-store.ts';
