// database.partitioned (upstream module/database_partitioned.go): a PostgreSQL database.workflow that
// also manages LIST (or single-value RANGE) partitions of its tables, one per tenant (or other key)
// value: `ensurePartition` attaches the partitions for one value to every table of its group,
// `syncPartitions` does so for every value in the group's source table. At start it syncs (autoSync,
// default on when a sourceTable is set) and then every `syncInterval`. Each value's partitions are
// created in one transaction under an advisory lock per parent table, so replicas racing to create
// the same partition wait for each other instead of failing.
import {
  ConfigValueError,
  defineCapability,
  type AppContext,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { checkedBy, ConfigReader } from '../support/index.ts';
import { type PartitionGroup, PartitionError, partitionDdl, partitionGroupsFrom, sourceQuery } from './partitions.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import {
  checkPostgresSettings,
  POSTGRES_DRIVERS,
  PostgresDatabaseModule,
  postgresConnectionFields,
  postgresFromConfig,
} from './sql-database-module.ts';

export interface PartitionManager {
  /** Creates (if missing) the partitions for `value` on every table of a group; their names. */
  ensurePartition(value: string, partitionKey?: string): Promise<string[]>;
  /** ensurePartition for every value in the source table of one group (or of every group). */
  syncPartitions(partitionKey?: string): Promise<{ values: string[]; partitions: string[] }>;
}
export const PartitionManagerCap = defineCapability<PartitionManager>(
  'PartitionManager',
  'ensurePartition',
  'syncPartitions',
);

const groupFields: TypeSchema['configFields'] = [
  { key: 'partitionKey', type: 'string', description: 'Partition column, e.g. tenant_id' },
  { key: 'tables', type: 'array', description: 'Parent tables (created PARTITION BY LIST/RANGE (partitionKey))' },
  { key: 'partitionType', type: 'select', default: 'list', options: ['list', 'range'] },
  {
    key: 'partitionNameFormat',
    type: 'string',
    default: '{table}_{tenant}',
    description: '{table} and {tenant} ("-" and "." in the value become "_")',
  },
  { key: 'sourceTable', type: 'string', description: 'Table listing every partition value (for sync)' },
  { key: 'sourceColumn', type: 'string', description: 'Its column; default partitionKey' },
];

export const databasePartitionedSchema: TypeSchema = {
  description: 'PostgreSQL database that creates a partition per tenant (or other key) value',
  configFields: [
    { key: 'driver', type: 'select', required: true, options: POSTGRES_DRIVERS },
    ...postgresConnectionFields,
    ...groupFields,
    {
      key: 'partitions',
      type: 'array',
      description: 'Several partition groups, each with the keys above; replaces the top-level ones',
    },
    { key: 'autoSync', type: 'boolean', description: 'Sync from the source tables at start (default: when set)' },
    { key: 'syncInterval', type: 'duration', description: 'Sync again this often, e.g. 60s' },
  ],
  validate: checkedBy((config) => {
    checkPostgresSettings(config);
    partitionGroupsFrom(config);
  }),
};

export class PartitionedDatabaseModule extends PostgresDatabaseModule implements PartitionManager {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    name: string,
    type: string,
    db: PostgresDatabase,
    readonly groups: PartitionGroup[],
    private readonly sync: { autoSync: boolean; intervalMs: number },
  ) {
    super(name, type, db);
  }

  override async start(app: AppContext): Promise<void> {
    await super.start(app);
    if (!this.groups.some((g) => g.sourceTable)) return;
    if (this.sync.autoSync) {
      try {
        await this.syncPartitions();
      } catch (err) {
        await super.stop();
        throw new Error(`${this.owner()}: partition sync at start failed: ${(err as Error).message}`);
      }
    }
    if (this.sync.intervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.running) return; // the previous sync is still at work
        this.running = this.syncPartitions()
          .catch((err) => app.logger.error({ err: (err as Error).message }, `${this.owner()}: periodic sync failed`))
          .finally(() => (this.running = undefined));
      }, this.sync.intervalMs);
      this.timer.unref();
    }
  }

  override async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await super.stop();
  }

  async ensurePartition(value: string, partitionKey?: string): Promise<string[]> {
    return this.ensureFor(this.group(partitionKey), value);
  }

  async syncPartitions(partitionKey?: string): Promise<{ values: string[]; partitions: string[] }> {
    const groups = partitionKey === undefined ? this.groups : [this.group(partitionKey)];
    const values: string[] = [];
    const partitions: string[] = [];
    for (const group of groups) {
      const query = sourceQuery(group);
      if (!query) continue;
      let rows: Array<{ value?: unknown }>;
      try {
        rows = await this.queryRows(query);
      } catch (err) {
        throw new PartitionError(`cannot read source table ${group.sourceTable}: ${(err as Error).message}`);
      }
      const found = rows.map((r) => String(r.value));
      // every value must make a partition before any is created: a bad row stops the sync whole
      for (const value of found) for (const table of group.tables) partitionDdl(group, table, value);
      for (const value of found) partitions.push(...(await this.ensureFor(group, value)));
      values.push(...found);
    }
    return { values, partitions };
  }

  private async ensureFor(group: PartitionGroup, value: string): Promise<string[]> {
    const ddl = group.tables.map((table) => ({ table, ...partitionDdl(group, table, value) }));
    await this.db.transaction(async (client) => {
      for (const { table, name, sql } of ddl) {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`workflow-partition:${table}`]);
        try {
          await client.query(sql);
        } catch (err) {
          throw new PartitionError(`cannot create partition ${name} of table ${table}: ${(err as Error).message}`);
        }
      }
    });
    return ddl.map((d) => d.name);
  }

  private group(partitionKey: string | undefined): PartitionGroup {
    if (partitionKey === undefined || partitionKey === '') return this.groups[0]!;
    const group = this.groups.find((g) => g.partitionKey === partitionKey);
    if (!group) {
      const have = this.groups.map((g) => g.partitionKey).join(', ');
      throw new PartitionError(`no partition group has partitionKey "${partitionKey}" (have: ${have})`);
    }
    return group;
  }

  private owner(): string {
    return `${this.type} "${this.name}"`;
  }
}

export function createDatabasePartitioned(spec: ModuleSpec): PartitionedDatabaseModule {
  const c = new ConfigReader(spec.config);
  const driver = c.requiredString('driver', 'use driver: postgres');
  if (!POSTGRES_DRIVERS.includes(driver))
    throw new ConfigValueError(`database.partitioned needs PostgreSQL; driver "${driver}" cannot partition tables`, {
      path: ['driver'],
      hint: 'use driver: postgres with a postgres:// dsn (table partitioning is a PostgreSQL feature)',
    });
  const groups = partitionGroupsFrom(spec.config);
  const hasSource = groups.some((g) => g.sourceTable);
  return new PartitionedDatabaseModule(spec.name, spec.type, postgresFromConfig(spec), groups, {
    autoSync: c.boolean('autoSync', hasSource)!,
    intervalMs: c.duration('syncInterval', 0)!,
  });
}
