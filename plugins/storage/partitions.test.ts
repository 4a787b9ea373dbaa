import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWithIssue, TestApp } from '../testing/index.ts';
import { storagePlugin } from './index.ts';
import { partitionDdl, partitionGroupsFrom, sourceQuery, type PartitionGroup } from './partitions.ts';
import { parsePostgresDsn } from './postgres-dsn.ts';

const group: PartitionGroup = {
  partitionKey: 'tenant_id',
  tables: ['forms'],
  partitionType: 'list',
  partitionNameFormat: '{table}_{tenant}',
};

test('partition DDL: upstream names and bounds; values and names that could inject SQL are refused', () => {
  assert.deepEqual(partitionDdl(group, 'forms', 'org-a.b'), {
    name: 'forms_org_a_b',
    sql: "CREATE TABLE IF NOT EXISTS forms_org_a_b PARTITION OF forms FOR VALUES IN ('org-a.b')",
  });
  assert.equal(
    partitionDdl({ ...group, partitionType: 'range' }, 'app.events', 'eu').sql,
    "CREATE TABLE IF NOT EXISTS app.events_eu PARTITION OF app.events FOR VALUES FROM ('eu') TO ('eu\\x00')",
  );
  for (const bad of ["a'); DROP TABLE forms; --", 'a b', 'x"y', '', 'é'])
    assert.throws(() => partitionDdl(group, 'forms', bad), /invalid partition value/, bad);
  // a value that starts with a digit makes a name PostgreSQL would need quoted
  assert.throws(
    () => partitionDdl({ ...group, partitionNameFormat: '{tenant}_{table}' }, 'forms', '1org'),
    /partition name "1org_forms" .* is not a safe SQL identifier/,
  );
  assert.throws(() => partitionDdl(group, 'forms', 'x'.repeat(60)), /at most 63 characters/);
  assert.equal(
    sourceQuery({ ...group, sourceTable: 'tenants' }),
    'SELECT DISTINCT tenant_id AS value FROM tenants WHERE tenant_id IS NOT NULL ORDER BY 1',
  );
  assert.equal(sourceQuery(group), undefined);
});

test('partition groups: the single form, the partitions list, defaults', () => {
  assert.deepEqual(
    partitionGroupsFrom({ partitionKey: 'tenant_id', tables: ['forms', 'subs'], sourceTable: 'tenants' }),
    [{ ...group, tables: ['forms', 'subs'], sourceTable: 'tenants', sourceColumn: undefined }],
  );
  const groups = partitionGroupsFrom({
    partitionKey: 'ignored',
    partitions: [
      { partitionKey: 'tenant_id', tables: ['forms'] },
      {
        partitionKey: 'api_version',
        tables: ['calls'],
        partitionType: 'range',
        sourceTable: 'versions',
        sourceColumn: 'v',
      },
    ],
  });
  assert.deepEqual(
    groups.map((g) => [g.partitionKey, g.partitionType, g.sourceColumn]),
    [
      ['tenant_id', 'list', undefined],
      ['api_version', 'range', 'v'],
    ],
  );
});

test('PostgreSQL DSNs: URLs as they are, libpq key=value pairs as the same URL', () => {
  assert.deepEqual(parsePostgresDsn('postgres://u:p@db.internal:5433/app?sslmode=disable'), {
    connectionString: 'postgres://u:p@db.internal:5433/app?sslmode=disable',
    target: 'db.internal:5433/app',
  });
  assert.deepEqual(parsePostgresDsn("host=db port=6000 dbname=app user=me password='s p\\'w' sslmode=require"), {
    connectionString: "postgres://me:s%20p'w@db:6000/app?sslmode=require",
    target: 'db:6000/app',
  });
  assert.equal(parsePostgresDsn('host=/run/postgresql dbname=app').target, '/run/postgresql:5432/app');
  assert.throws(() => parsePostgresDsn('host=db bogus=1'), /unknown dsn key "bogus"/);
  assert.throws(() => parsePostgresDsn('just-a-word'), /expected key=value/);
  assert.throws(() => parsePostgresDsn("password='open"), /unterminated quoted value/);
});

async function configIssue(modules: unknown[], jsonPath: string, message: RegExp) {
  const app = new TestApp({ plugins: [storagePlugin], config: { modules } as never });
  try {
    await rejectsWithIssue(app.build(), jsonPath, message);
  } finally {
    await app.stop();
  }
}

test('database.partitioned and database.workflow config errors are located', async () => {
  const dsn = 'postgres://u@127.0.0.1:1/db';
  const partitioned = (config: Record<string, unknown>) => [{ name: 'db', type: 'database.partitioned', config }];
  await configIssue(
    partitioned({ driver: 'sqlite', dsn: ':memory:', partitionKey: 'tenant_id', tables: ['forms'] }),
    'modules[0].config.driver',
    /database.partitioned needs PostgreSQL|must be one of/,
  );
  await configIssue(
    partitioned({ driver: 'postgres', dsn, partitionKey: 'tenant_id', tables: ['forms; DROP TABLE x'] }),
    'modules[0].config.tables[0]',
    /table "forms; DROP TABLE x" is not a safe SQL identifier/,
  );
  await configIssue(
    partitioned({ driver: 'postgres', dsn, partitionKey: "t' OR 1=1", tables: ['forms'] }),
    'modules[0].config.partitionKey',
    /is not a safe SQL identifier/,
  );
  await configIssue(
    partitioned({ driver: 'postgres', dsn, partitions: [{ partitionKey: 'a', tables: ['x'] }, { partitionKey: 'b' }] }),
    'modules[0].config.partitions[1].tables',
    /"tables" is required/,
  );
  await configIssue(
    partitioned({ driver: 'postgres', dsn, partitionKey: 'a', tables: ['x'], partitionNameFormat: '{table}_all' }),
    'modules[0].config.partitionNameFormat',
    /must contain \{tenant\}/,
  );
  await configIssue(
    partitioned({ driver: 'postgres', dsn, partitionKey: 'a', tables: ['x'], partitionType: 'hash' }),
    'modules[0].config.partitionType',
    /list, range/,
  );
  await configIssue(
    [{ name: 'db', type: 'database.workflow', config: { driver: 'postgres', dsn: 'host=db bogus=1' } }],
    'modules[0].config.dsn',
    /unknown dsn key "bogus"/,
  );
  await configIssue(
    [{ name: 'db', type: 'database.workflow', config: { driver: 'mysql', dsn: 'u@tcp(db)/app' } }],
    'modules[0].config.driver',
    /database driver "mysql" is not available in this build/,
  );
  await configIssue(
    [
      { name: 'db', type: 'database.workflow', config: { driver: 'postgres', dsn } },
      { name: 'store', type: 'persistence.store', config: { database: 'db' } },
    ],
    'modules[1].config.database',
    /keeps its tables in SQLite/,
  );
});
