import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowConfig } from '../../engine/index.ts';
import { startTestApp, TestApp, rejectsWithIssue } from '../testing/index.ts';
import {
  storagePlugin,
  type PersistenceStoreModule,
  type SqlDatabaseModule,
  sqlitePathFromDsn,
  toSqlitePlaceholders,
} from './index.ts';

test('$N placeholders become ? in $N order, outside literals and comments', () => {
  assert.deepEqual(toSqlitePlaceholders('SELECT * FROM t WHERE a = $2 AND b = $1 OR c = $2'), {
    sql: 'SELECT * FROM t WHERE a = ? AND b = ? OR c = ?',
    order: [2, 1, 2],
  });
  assert.deepEqual(toSqlitePlaceholders('SELECT \'$1\', "$2" -- $3\n, $4 /* $5 */'), {
    sql: 'SELECT \'$1\', "$2" -- $3\n, ? /* $5 */',
    order: [4],
  });
  assert.deepEqual(toSqlitePlaceholders("SELECT 'it''s $1', ?"), { sql: "SELECT 'it''s $1', ?" });
});

test('DSN forms resolve to a file in the data dir or to memory', () => {
  assert.equal(sqlitePathFromDsn(':memory:', '/d'), ':memory:');
  assert.equal(sqlitePathFromDsn('file::memory:?cache=shared', '/d'), ':memory:');
  assert.equal(sqlitePathFromDsn('file:test.db?mode=memory&cache=shared', '/d'), ':memory:');
  assert.equal(sqlitePathFromDsn('./data/app.db', '/d'), '/d/data/app.db');
  assert.equal(sqlitePathFromDsn('file:///var/x.db', '/d'), '/var/x.db');
});

test('storage.sqlite resolves dbPath against the config dir and uses WAL', async (t) => {
  const app = await startTestApp({
    plugins: [storagePlugin],
    config: { modules: [{ name: 'db', type: 'storage.sqlite', config: { dbPath: 'sub/app.db' } }] },
  });
  t.after(() => app.stop());
  assert.ok(existsSync(join(app.configDir, 'sub', 'app.db')));
  const db = app.services.get<SqlDatabaseModule>('db')!;
  assert.equal(db.query('PRAGMA journal_mode')[0].journal_mode, 'wal');
  assert.deepEqual(await db.healthCheck(), { status: 'healthy' });
});

const dbConfig: WorkflowConfig = {
  modules: [{ name: 'main-db', type: 'database.workflow', config: { driver: 'sqlite', dsn: ':memory:' } }],
  pipelines: {
    setup: {
      steps: [
        {
          name: 'ddl',
          type: 'step.db_exec',
          config: { database: 'main-db', query: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)' },
        },
      ],
    },
    add: {
      steps: [
        {
          name: 'ins',
          type: 'step.db_exec',
          config: {
            module: 'main-db',
            query: 'INSERT INTO items (name, qty) VALUES ($1, $2)',
            args: ['{{ .name }}', '{{ .qty }}'],
          },
        },
      ],
    },
    list: {
      steps: [
        {
          name: 'q',
          type: 'step.db_query',
          config: {
            database: 'main-db',
            query: 'SELECT name, qty FROM items WHERE qty >= ? ORDER BY id',
            params: ['{{ .min }}'],
            mode: 'many',
          },
        },
      ],
    },
    one: {
      steps: [
        {
          name: 'q',
          type: 'step.db_query',
          config: {
            database: 'main-db',
            query: 'SELECT name FROM items WHERE name = ?',
            params: ['{{ .name }}'],
            mode: 'one',
          },
        },
      ],
    },
    ret: {
      steps: [
        {
          name: 'x',
          type: 'step.db_exec',
          config: { database: 'main-db', query: 'UPDATE items SET qty = qty + 1 RETURNING name, qty', returning: true },
        },
      ],
    },
    bad: {
      steps: [
        {
          name: 'x',
          type: 'step.db_exec',
          config: { database: 'main-db', query: 'INSERT INTO nope VALUES (1)', ignore_error: true },
        },
      ],
    },
  },
};

test('db_exec and db_query run with positional params, aliases and modes', async (t) => {
  const app = await startTestApp({ plugins: [storagePlugin], config: dbConfig });
  t.after(() => app.stop());
  await app.executePipeline('setup', {});
  const first = await app.executePipeline('add', { name: 'bolt', qty: 5 });
  assert.deepEqual([first.affected_rows, first.last_id], [1, 1]);
  await app.executePipeline('add', { name: "nut'; DROP TABLE items; --", qty: 1 });
  const listed = await app.executePipeline('list', { min: 2 });
  assert.deepEqual(listed.rows, [{ name: 'bolt', qty: 5 }]);
  assert.equal(listed.count, 1);
  const found = await app.executePipeline('one', { name: 'bolt' });
  assert.deepEqual([found.found, found.row], [true, { name: 'bolt' }]);
  const missing = await app.executePipeline('one', { name: 'washer' });
  assert.equal(missing.found, false);
  const returned = await app.executePipeline('ret', {});
  assert.equal(returned.count, 2);
  const ignored = await app.executePipeline('bad', {});
  assert.match(String(ignored.error), /no such table: nope/);
});

test('templates in the SQL text are refused unless allow_dynamic_sql', async () => {
  const app = new TestApp({
    plugins: [storagePlugin],
    config: {
      modules: dbConfig.modules,
      pipelines: {
        p: {
          steps: [
            { name: 'q', type: 'step.db_query', config: { database: 'main-db', query: 'SELECT * FROM {{ .table }}' } },
          ],
        },
      },
    },
  });
  await rejectsWithIssue(app.build(), 'pipelines.p.steps[0].config.query', /templates are not allowed in "query"/);
  await app.stop();
});

test('a step naming an undeclared database loads (upstream corpus does this) and fails clearly when run', async (t) => {
  const app = await startTestApp({
    plugins: [storagePlugin],
    config: {
      pipelines: {
        p: { steps: [{ name: 'q', type: 'step.db_query', config: { database: 'main-db', query: 'SELECT 1' } }] },
      },
    },
  });
  t.after(() => app.stop());
  await assert.rejects(app.executePipeline('p', {}), /step "q": SQL database "main-db" is not a module of this app/);
});

test('persistence.store keeps resources, instances and users across a reopen of the same file', async (t) => {
  const config: WorkflowConfig = {
    modules: [
      { name: 'db', type: 'database.workflow', config: { driver: 'sqlite', dsn: 'state.db' } },
      { name: 'persistence', type: 'persistence.store', config: { database: 'db' } },
    ],
  };
  const first = await startTestApp({ plugins: [storagePlugin], config });
  const dataDir = first.dataDir;
  const store = first.services.get<PersistenceStoreModule>('persistence')!;
  store.saveResource('orders', 'o1', { item: 'book', state: 'new' });
  store.saveResource('orders', 'o1', { item: 'book', state: 'paid' });
  store.saveWorkflowInstance({
    id: 'o1',
    workflowType: 'order',
    currentState: 'paid',
    previousState: 'new',
    data: { a: 1 },
    startTime: new Date().toISOString(),
    lastUpdated: new Date().toISOString(),
    completed: false,
    error: '',
  });
  store.saveUser({
    id: '1',
    email: 'a@b.c',
    name: 'A',
    passwordHash: 'h',
    metadata: { role: 'admin' },
    createdAt: new Date().toISOString(),
  });
  assert.deepEqual(await store.healthCheck(), { status: 'healthy' });
  // stop modules but keep the data dir for the second app
  await first.halt();

  const second = await startTestApp({ plugins: [storagePlugin], config, dataDir });
  t.after(async () => {
    await second.stop();
    await first.stop();
  });
  const again = second.services.get<PersistenceStoreModule>('persistence')!;
  assert.deepEqual(again.loadResources('orders').get('o1'), { item: 'book', state: 'paid' });
  assert.equal(again.loadWorkflowInstances('order')[0].currentState, 'paid');
  assert.equal(again.loadUsers()[0].metadata.role, 'admin');
  again.deleteResource('orders', 'o1');
  assert.equal(again.loadResource('orders', 'o1'), undefined);
});

test('persistence.store names a missing database module clearly', async () => {
  const app = new TestApp({
    plugins: [storagePlugin],
    config: { modules: [{ name: 'p', type: 'persistence.store', config: { database: 'nope' } }] },
  });
  await rejectsWithIssue(
    app.build(),
    'modules[0].config.database',
    /persistence.store "p": database module "nope" not found/,
  );
  await app.stop();
});
