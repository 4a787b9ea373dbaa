// PostgreSQL table partitioning for database.partitioned (upstream module/database_partitioned.go):
// partition groups (a key column, the parent tables it partitions, list or range, the partition name
// format, an optional source table of every key value), and the DDL that attaches one partition per
// value. DDL cannot take bind parameters, so every identifier is checked against upstream's safe
// pattern and every value against upstream's partition-value pattern before it is spelt into SQL.
import { ConfigValueError, type ConfigMap, type ConfigPath } from '../../engine/index.ts';
import { ConfigReader, isPlainObject } from '../support/index.ts';

export type PartitionType = 'list' | 'range';

export interface PartitionGroup {
  partitionKey: string;
  tables: string[];
  partitionType: PartitionType;
  /** `{table}` and `{tenant}` placeholders; default `{table}_{tenant}`. */
  partitionNameFormat: string;
  sourceTable?: string;
  /** Column of sourceTable holding the values; default partitionKey. */
  sourceColumn?: string;
}

/** Upstream's SQL identifier pattern: letters, digits, `_`, and `.` for schema.table. */
const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;
/** Upstream's partition value pattern (never holds a quote). */
const PARTITION_VALUE = /^[a-zA-Z0-9_.-]+$/;
/** PostgreSQL truncates longer names, so two long names could silently become one table. */
const MAX_IDENTIFIER_BYTES = 63;

export class PartitionError extends Error {}

export function isSafeIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && name.split('.').every((part) => part !== '' && part.length <= MAX_IDENTIFIER_BYTES);
}

/** Partition name for a value: `{table}` and `{tenant}` replaced, `-` and `.` in the value as `_`. */
export function partitionName(format: string, table: string, value: string): string {
  return format.replaceAll('{table}', table).replaceAll('{tenant}', value.replace(/[-.]/g, '_'));
}

/** The partition's name and the idempotent DDL that creates it, or a PartitionError saying why not. */
export function partitionDdl(group: PartitionGroup, table: string, value: string): { name: string; sql: string } {
  if (!PARTITION_VALUE.test(value))
    throw new PartitionError(`invalid partition value "${value}" (must match [a-zA-Z0-9_.-]+)`);
  const name = partitionName(group.partitionNameFormat, table, value);
  if (!isSafeIdentifier(name))
    throw new PartitionError(
      `partition name "${name}" for value "${value}" is not a safe SQL identifier ` +
        `([a-zA-Z_][a-zA-Z0-9_.]*, at most ${MAX_IDENTIFIER_BYTES} characters per part)`,
    );
  // the value matched PARTITION_VALUE, so it holds no quote and can stand in a literal
  const bounds =
    group.partitionType === 'list'
      ? `FOR VALUES IN ('${value}')`
      : // upstream's single-value range: from the value up to the value followed by the text \x00
        `FOR VALUES FROM ('${value}') TO ('${value}\\x00')`;
  return { name, sql: `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} ${bounds}` };
}

/** `SELECT DISTINCT` of the group's source column, or undefined when it has no sourceTable. */
export function sourceQuery(group: PartitionGroup): string | undefined {
  if (!group.sourceTable) return undefined;
  const column = group.sourceColumn || group.partitionKey;
  return `SELECT DISTINCT ${column} AS value FROM ${group.sourceTable} WHERE ${column} IS NOT NULL ORDER BY 1`;
}

/**
 * The partition groups of a database.partitioned config: the `partitions` list, or (upstream's
 * single-group form) the top-level keys. Every identifier is checked here, so a bad name is a located
 * config error at load time instead of a failed statement later.
 */
export function partitionGroupsFrom(config: ConfigMap): PartitionGroup[] {
  const list = new ConfigReader(config).list('partitions');
  if (list.length === 0) return [groupFrom(config, [])];
  const groups = list.map((item, i) => {
    if (!isPlainObject(item))
      throw new ConfigValueError(`"partitions[${i}]" must be a map with partitionKey and tables`, {
        path: ['partitions', i],
      });
    return groupFrom(item, ['partitions', i]);
  });
  const seen = new Set<string>();
  groups.forEach((g, i) => {
    if (seen.has(g.partitionKey))
      throw new ConfigValueError(`partitionKey "${g.partitionKey}" appears in more than one partition group`, {
        path: ['partitions', i, 'partitionKey'],
        hint: 'list every table of one key under a single group',
      });
    seen.add(g.partitionKey);
  });
  return groups;
}

function groupFrom(config: ConfigMap, at: ConfigPath): PartitionGroup {
  try {
    return readGroup(new ConfigReader(config));
  } catch (err) {
    // paths of the `partitions` form point into its list item
    if (err instanceof ConfigValueError && at.length > 0)
      throw new ConfigValueError(err.message, { path: [...at, ...err.path], hint: err.hint });
    throw err;
  }
}

function readGroup(c: ConfigReader): PartitionGroup {
  const partitionKey = identifier(c, 'partitionKey', true)!;
  const tables = c.stringList('tables');
  if (tables.length === 0)
    throw new ConfigValueError('"tables" is required: the parent tables partitioned by partitionKey', {
      path: ['tables'],
      hint: 'e.g. tables: [forms, submissions] (each created PARTITION BY LIST (tenant_id))',
    });
  tables.forEach((t, i) => {
    if (!isSafeIdentifier(t))
      throw new ConfigValueError(`table ${JSON.stringify(t)} is not a safe SQL identifier`, {
        path: ['tables', i],
        hint: IDENTIFIER_HINT,
      });
  });
  const partitionType = c.oneOf('partitionType', ['list', 'range'] as const, 'list');
  const partitionNameFormat = c.string('partitionNameFormat') || '{table}_{tenant}';
  if (!partitionNameFormat.includes('{tenant}'))
    throw new ConfigValueError('"partitionNameFormat" must contain {tenant}, or every value would name one table', {
      path: ['partitionNameFormat'],
      hint: 'e.g. {table}_{tenant}',
    });
  if (!isSafeIdentifier(partitionName(partitionNameFormat, tables[0]!, 'x')))
    throw new ConfigValueError(`"partitionNameFormat" ${partitionNameFormat} does not make a safe SQL identifier`, {
      path: ['partitionNameFormat'],
      hint: 'use {table}, {tenant}, letters, digits and _',
    });
  return {
    partitionKey,
    tables,
    partitionType,
    partitionNameFormat,
    sourceTable: identifier(c, 'sourceTable', false),
    sourceColumn: identifier(c, 'sourceColumn', false),
  };
}

const IDENTIFIER_HINT = 'use letters, digits and _ (schema.table allowed), starting with a letter or _';

function identifier(c: ConfigReader, key: string, required: boolean): string | undefined {
  const value = required ? c.requiredString(key, `e.g. ${key}: tenant_id`) : c.string(key) || undefined;
  if (value !== undefined && !isSafeIdentifier(value))
    throw new ConfigValueError(`"${key}" ${JSON.stringify(value)} is not a safe SQL identifier`, {
      path: [key],
      hint: IDENTIFIER_HINT,
    });
  return value;
}
