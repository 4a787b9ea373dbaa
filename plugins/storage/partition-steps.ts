// step.db_create_partition and step.db_sync_partitions (upstream module/pipeline_step_db_*_partition*.go):
// the partition management of a database.partitioned module, from a pipeline. create_partition reads
// the value at `tenantKey` (a dotted path in the pipeline context, e.g. steps.parse.body.tenant_id)
// and creates its partitions; sync_partitions creates one for every value in the source table(s).
// `partitionKey` picks one partition group of a module that has several.
import type { PipelineContext, Step, StepBuildContext, StepResult, StepSpec, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';
import { PartitionManagerCap } from './partitioned-database.ts';

const databaseField: TypeSchema['configFields'][number] = {
  key: 'database',
  type: 'string',
  required: true,
  description: 'A database.partitioned module',
};
const partitionKeyField: TypeSchema['configFields'][number] = {
  key: 'partitionKey',
  type: 'string',
  description: 'The partition group to use (default: the first; sync: every group)',
};

export const dbCreatePartitionStepSchema: TypeSchema = {
  description: 'Create (if missing) the partitions for one tenant value on every table of a partition group',
  configFields: [
    databaseField,
    {
      key: 'tenantKey',
      type: 'string',
      required: true,
      description: 'Dotted path of the value in the pipeline context, e.g. steps.parse.body.tenant_id',
    },
    partitionKeyField,
  ],
  outputs: [
    { key: 'tenant', type: 'string', description: 'The value' },
    { key: 'partition', type: 'string', description: '"created" (also when it already existed)' },
    { key: 'partitions', type: 'array', description: 'Names of the partitions (one per table)' },
  ],
};

export const dbSyncPartitionsStepSchema: TypeSchema = {
  description: 'Create the partitions for every value in the source table of a database.partitioned module',
  configFields: [databaseField, partitionKeyField],
  outputs: [
    { key: 'synced', type: 'boolean' },
    { key: 'values', type: 'array', description: 'Values found in the source table(s)' },
    { key: 'partitions', type: 'array', description: 'Names of the partitions ensured' },
  ],
};

function partitionManager(spec: StepSpec, ctx: StepBuildContext) {
  const c = new ConfigReader(spec.config);
  const database = c.requiredString('database', 'name a database.partitioned module, e.g. database: tenant-db');
  return {
    manager: moduleRef(ctx, spec, database, 'database.partitioned module', PartitionManagerCap),
    partitionKey: c.string('partitionKey') || undefined,
  };
}

export function createDbCreatePartitionStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const { manager, partitionKey } = partitionManager(spec, ctx);
  const tenantKey = new ConfigReader(spec.config).requiredString(
    'tenantKey',
    'the dotted path of the tenant value, e.g. tenantKey: steps.parse.body.tenant_id',
  );
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const value = ctx.templates.lookup(pc, tenantKey);
      if (value === undefined || value === null || value === '')
        throw new Error(`tenantKey "${tenantKey}" resolved to nothing in the pipeline context`);
      if (typeof value === 'object')
        throw new Error(`tenantKey "${tenantKey}" is a ${Array.isArray(value) ? 'list' : 'map'}, not a value`);
      const tenant = String(value);
      const partitions = await manager().ensurePartition(tenant, partitionKey);
      return { output: { tenant, partition: 'created', partitions } };
    },
  };
}

export function createDbSyncPartitionsStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const { manager, partitionKey } = partitionManager(spec, ctx);
  return {
    name: spec.name,
    type: spec.type,
    async execute(): Promise<StepResult> {
      const { values, partitions } = await manager().syncPartitions(partitionKey);
      return { output: { synced: true, values, partitions } };
    },
  };
}
