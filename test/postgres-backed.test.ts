// database.workflow (driver postgres) with the SQL steps, and database.partitioned with
// step.db_create_partition and step.db_sync_partitions, against a real PostgreSQL server (the Debian
// package; a throwaway cluster per file) over real HTTP: `$N` parameters, RETURNING, types, injection
// attempts stored as data, tenant partitions created, rows routed into them, sync from the tenants
// table, idempotent re-runs, bad values refused before any SQL runs, and clear start failures.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { StepConfig, WorkflowConfig } from '../engine/index.ts';
import { httpPlugin } from '../plugins/http/index.ts';
import { pipelineStepsPlugin } from '../plugins/pipelinesteps/index.ts';
import { storagePlugin } from '../plugins/storage/index.ts';
import { freePort, requestJson, startPostgresServer, TestApp, type PostgresServer } from '../plugins/testing/index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin, storagePlugin];

let server: PostgresServer;
let sql: pg.Client;

before(async () => {
  server = await startPostgresServer();
  sql = new pg.Client({ connectionString: server.dsn });
  await sql.connect();
});

after(async () => {
  await sql?.end();
  await server?.stop();
});

const http = [
  { name: 'server', type: 'http.server', config: { address: '127.0.0.1:0' } },
  { name: 'router', type: 'http.router', dependsOn: ['server'] },
];

function route(method: string, path: string, steps: StepConfig[]) {
  return { trigger: { type: 'http', config: { method, path } }, steps };
}
const parse = { name: 'parse', type: 'step.request_parse', config: { parse_body: true } };
const errorOf = (res: { json: unknown }) => String((res.json as { error?: unknown }).error);
const respond = (from: string) => ({ name: 'respond', type: 'step.json_response', config: { body_from: from } });

async function startApp(config: WorkflowConfig, cleanups: (() => Promise<unknown>)[]): Promise<string> {
  const app = new TestApp({ plugins, config });
  cleanups.push(() => app.stop());
  await (await app.build()).start();
  const port = app.services.get<{ address(): { port: number } }>('server')!.address().port;
  return `http://127.0.0.1:${port}`;
}

test('database.workflow driver postgres: db_query, db_exec and db_query_cached over HTTP', async (t) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  await sql.query(`CREATE TABLE items (
    id serial PRIMARY KEY, name text NOT NULL, qty int, price numeric(10,2), meta jsonb,
    big bigint, created timestamptz NOT NULL DEFAULT '2026-01-02T03:04:05Z')`);
  const base = await startApp(
    {
      modules: [...http, { name: 'main-db', type: 'database.workflow', config: { driver: 'pgx', dsn: server.dsn } }],
      pipelines: {
        add: route('POST', '/items', [
          parse,
          {
            name: 'ins',
            type: 'step.db_exec',
            config: {
              database: 'main-db',
              query: 'INSERT INTO items (name, qty, price, meta, big) VALUES ($1, $2, $3, $4, $5) RETURNING id',
              params: [
                '{{ .steps.parse.body.name }}',
                '{{ .steps.parse.body.qty }}',
                '{{ .steps.parse.body.price }}',
                '{{ json .steps.parse.body.meta }}',
                '9007199254740993',
              ],
              returning: true,
            },
          },
          respond('steps.ins'),
        ]),
        one: route('GET', '/items/{id}', [
          parse,
          {
            name: 'q',
            type: 'step.db_query',
            config: {
              database: 'main-db',
              query: 'SELECT id, name, qty, price, meta, big, created FROM items WHERE id = $1',
              params: ['{{ .steps.parse.path_params.id }}'],
              mode: 'single',
            },
          },
          respond('steps.q'),
        ]),
        list: route('GET', '/items', [
          {
            name: 'q',
            type: 'step.db_query',
            // one parameter used twice
            config: {
              database: 'main-db',
              query: 'SELECT name FROM items WHERE qty >= $1 OR $1 = 0 ORDER BY id',
              params: ['2'],
            },
          },
          respond('steps.q'),
        ]),
        setQty: route('PUT', '/items/{id}/qty', [
          parse,
          {
            name: 'upd',
            type: 'step.db_exec',
            config: {
              database: 'main-db',
              query: 'UPDATE items SET qty = $2 WHERE id = $1',
              params: ['{{ .steps.parse.path_params.id }}', '{{ .steps.parse.body.qty }}'],
            },
          },
          respond('steps.upd'),
        ]),
        cached: route('GET', '/cached/{id}', [
          parse,
          {
            name: 'c',
            type: 'step.db_query_cached',
            config: {
              database: 'main-db',
              query: 'SELECT name, qty FROM items WHERE id = $1',
              params: ['{{ .steps.parse.path_params.id }}'],
              cache_key: 'item-{{ .steps.parse.path_params.id }}',
            },
          },
          respond('steps.c'),
        ]),
        broken: route('POST', '/broken', [
          {
            name: 'bad',
            type: 'step.db_exec',
            config: {
              database: 'main-db',
              query: 'INSERT INTO nowhere VALUES ($1)',
              params: ['x'],
              ignore_error: true,
            },
          },
          respond('steps.bad'),
        ]),
      },
    },
    cleanups,
  );

  const added = await requestJson(`${base}/items`, {
    method: 'POST',
    body: { name: 'bolt', qty: 5, price: '1.50', meta: { color: 'red' } },
  });
  assert.equal(added.status, 200, JSON.stringify(added.json));
  assert.deepEqual(added.json, { rows: [{ id: 1 }], count: 1, affected_rows: 1, last_id: null });
  // an injection attempt is only ever a value
  const evil = "x'); DROP TABLE items; --";
  const second = await requestJson(`${base}/items`, {
    method: 'POST',
    body: { name: evil, qty: 1, price: '2', meta: {} },
  });
  assert.equal(second.status, 200, JSON.stringify(second.json));

  const one = await requestJson(`${base}/items/1`);
  assert.deepEqual(one.json, {
    found: true,
    row: {
      id: 1,
      name: 'bolt',
      qty: 5,
      price: '1.50',
      meta: { color: 'red' },
      big: '9007199254740993',
      created: '2026-01-02T03:04:05.000Z',
    },
  });
  assert.deepEqual((await requestJson(`${base}/items/99`)).json, { found: false, row: {} });
  assert.deepEqual((await requestJson(`${base}/items`)).json, { rows: [{ name: 'bolt' }], count: 1 });
  const names = await sql.query('SELECT name FROM items ORDER BY id');
  assert.deepEqual(
    names.rows.map((r) => r.name),
    ['bolt', evil],
  );

  const upd = await requestJson(`${base}/items/2/qty`, { method: 'PUT', body: { qty: 7 } });
  assert.deepEqual(upd.json, { affected_rows: 1, last_id: null });
  assert.deepEqual((await requestJson(`${base}/cached/2`)).json, { name: evil, qty: 7, cache_hit: false });
  await sql.query('UPDATE items SET qty = 8 WHERE id = 2');
  assert.deepEqual((await requestJson(`${base}/cached/2`)).json, { name: evil, qty: 7, cache_hit: true });

  const broken = await requestJson(`${base}/broken`, { method: 'POST' });
  assert.equal(broken.status, 200);
  assert.match(String((broken.json as { error: string }).error), /relation "nowhere" does not exist/);
});

test('a PostgreSQL database that is down or misconfigured fails clearly, naming the module and where', async () => {
  const port = await freePort();
  const down = new TestApp({
    plugins,
    config: {
      modules: [
        {
          name: 'main-db',
          type: 'database.workflow',
          config: { driver: 'postgres', dsn: `host=127.0.0.1 port=${port} dbname=app user=app password=secret` },
        },
      ],
    },
  });
  try {
    await down.build();
    await assert.rejects(down.start(), (err: Error) => {
      assert.match(
        err.message,
        new RegExp(`database.workflow "main-db": cannot connect to PostgreSQL at 127.0.0.1:${port}/app`),
      );
      assert.match(err.message, /is the server running there/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  } finally {
    await down.stop();
  }

  // a database that does not exist on a server that is up
  const noDb = new TestApp({
    plugins,
    config: {
      modules: [
        {
          name: 'main-db',
          type: 'database.workflow',
          config: { driver: 'postgres', dsn: server.dsn.replace('/postgres?', '/nope?') },
        },
      ],
    },
  });
  try {
    await noDb.build();
    await assert.rejects(
      noDb.start(),
      /cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/nope \(database "nope" does not exist\)/,
    );
  } finally {
    await noDb.stop();
  }
});

test('database.partitioned: tenant partitions over HTTP, synced from a source table, bad values refused', async (t) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  await sql.query(`
    CREATE TABLE tenants (tenant_id text PRIMARY KEY);
    INSERT INTO tenants VALUES ('org-a'), ('org-b');
    CREATE TABLE forms (id serial, tenant_id text NOT NULL, title text, PRIMARY KEY (id, tenant_id))
      PARTITION BY LIST (tenant_id);
    CREATE TABLE events (region text NOT NULL, n int) PARTITION BY RANGE (region);`);
  const partitionsOf = async (table: string) =>
    (
      await sql.query(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = $1::regclass ORDER BY 1`,
        [table],
      )
    ).rows.map((r) => r.relname as string);

  const base = await startApp(
    {
      modules: [
        ...http,
        {
          name: 'tenant-db',
          type: 'database.partitioned',
          config: {
            driver: 'postgres',
            dsn: server.dsn,
            partitions: [
              { partitionKey: 'tenant_id', tables: ['forms'], sourceTable: 'tenants' },
              {
                partitionKey: 'region',
                tables: ['events'],
                partitionType: 'range',
                partitionNameFormat: '{table}_r_{tenant}',
              },
            ],
          },
        },
      ],
      pipelines: {
        onboard: route('POST', '/tenants', [
          parse,
          {
            name: 'part',
            type: 'step.db_create_partition',
            config: { database: 'tenant-db', tenantKey: 'steps.parse.body.tenant_id' },
          },
          {
            name: 'ins',
            type: 'step.db_exec',
            config: {
              database: 'tenant-db',
              query: 'INSERT INTO tenants VALUES ($1) ON CONFLICT DO NOTHING',
              params: ['{{ .steps.parse.body.tenant_id }}'],
            },
          },
          respond('steps.part'),
        ]),
        addForm: route('POST', '/forms', [
          parse,
          {
            name: 'ins',
            type: 'step.db_exec',
            config: {
              database: 'tenant-db',
              query:
                'INSERT INTO forms (tenant_id, title) VALUES ($1, $2) RETURNING tableoid::regclass::text AS stored_in',
              params: ['{{ .steps.parse.body.tenant_id }}', '{{ .steps.parse.body.title }}'],
              returning: true,
            },
          },
          respond('steps.ins'),
        ]),
        sync: route('POST', '/sync', [
          {
            name: 'sync',
            type: 'step.db_sync_partitions',
            config: { database: 'tenant-db', partitionKey: 'tenant_id' },
          },
          respond('steps.sync'),
        ]),
        region: route('POST', '/regions', [
          parse,
          {
            name: 'part',
            type: 'step.db_create_partition',
            config: { database: 'tenant-db', tenantKey: 'steps.parse.body.region', partitionKey: 'region' },
          },
          respond('steps.part'),
        ]),
        badGroup: route('POST', '/bad-group', [
          { name: 'sync', type: 'step.db_sync_partitions', config: { database: 'tenant-db', partitionKey: 'nope' } },
        ]),
      },
    },
    cleanups,
  );

  // autoSync at start: one partition per tenant already in the source table
  assert.deepEqual(await partitionsOf('forms'), ['forms_org_a', 'forms_org_b']);

  // onboarding a tenant creates its partition; doing it again is a no-op, not an error
  for (let i = 0; i < 2; i++) {
    const res = await requestJson(`${base}/tenants`, { method: 'POST', body: { tenant_id: 'org-c' } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json, { tenant: 'org-c', partition: 'created', partitions: ['forms_org_c'] });
  }
  assert.deepEqual(await partitionsOf('forms'), ['forms_org_a', 'forms_org_b', 'forms_org_c']);

  // rows route to their tenant's partition; a tenant without one is refused by PostgreSQL
  const form = await requestJson(`${base}/forms`, { method: 'POST', body: { tenant_id: 'org-c', title: 'hello' } });
  assert.deepEqual((form.json as { rows: unknown }).rows, [{ stored_in: 'forms_org_c' }]);
  assert.deepEqual((await sql.query('SELECT title FROM forms_org_c')).rows, [{ title: 'hello' }]);
  assert.deepEqual((await sql.query('SELECT count(*)::int AS n FROM forms_org_a')).rows, [{ n: 0 }]);
  const orphan = await requestJson(`${base}/forms`, { method: 'POST', body: { tenant_id: 'org-x', title: 'lost' } });
  assert.equal(orphan.status, 500);
  assert.match(errorOf(orphan), /no partition of relation "forms" found for row/);

  // tenants added behind the app's back: sync creates every missing partition, twice is the same
  await sql.query(`INSERT INTO tenants VALUES ('org-d'), ('team.e')`);
  for (let i = 0; i < 2; i++) {
    const synced = await requestJson(`${base}/sync`, { method: 'POST' });
    assert.equal(synced.status, 200, JSON.stringify(synced.json));
    assert.deepEqual(synced.json, {
      synced: true,
      values: ['org-a', 'org-b', 'org-c', 'org-d', 'team.e'],
      partitions: ['forms_org_a', 'forms_org_b', 'forms_org_c', 'forms_org_d', 'forms_team_e'],
    });
  }
  assert.deepEqual(await partitionsOf('forms'), [
    'forms_org_a',
    'forms_org_b',
    'forms_org_c',
    'forms_org_d',
    'forms_team_e',
  ]);

  // injection attempts and values that cannot name a table are refused before any SQL runs
  for (const bad of ["x') ; DROP TABLE forms; --", 'a b', 'org"c', '']) {
    const res = await requestJson(`${base}/tenants`, { method: 'POST', body: { tenant_id: bad } });
    assert.equal(res.status, 500, bad);
    assert.match(
      errorOf(res),
      bad === '' ? /tenantKey "steps.parse.body.tenant_id" resolved to nothing/ : /invalid partition value/,
    );
  }
  assert.equal((await partitionsOf('forms')).length, 5);
  assert.deepEqual((await sql.query(`SELECT count(*)::int AS n FROM tenants`)).rows, [{ n: 5 }], 'no tenant row added');

  // a source row that cannot name a partition stops the sync before it creates anything
  await sql.query(`INSERT INTO tenants VALUES ('org-f'), ('bad value!')`);
  const badSync = await requestJson(`${base}/sync`, { method: 'POST' });
  assert.equal(badSync.status, 500);
  assert.match(errorOf(badSync), /invalid partition value "bad value!"/);
  assert.ok(!(await partitionsOf('forms')).includes('forms_org_f'));

  // the second group: single-value RANGE partitions with their own name format
  const region = await requestJson(`${base}/regions`, { method: 'POST', body: { region: 'eu-west' } });
  assert.deepEqual(region.json, { tenant: 'eu-west', partition: 'created', partitions: ['events_r_eu_west'] });
  await sql.query(`INSERT INTO events VALUES ('eu-west', 1)`);
  assert.deepEqual((await sql.query('SELECT n FROM events_r_eu_west')).rows, [{ n: 1 }]);
  await assert.rejects(sql.query(`INSERT INTO events VALUES ('eu-westx', 1)`), /no partition of relation "events"/);

  const badGroup = await requestJson(`${base}/bad-group`, { method: 'POST' });
  assert.equal(badGroup.status, 500);
  assert.match(errorOf(badGroup), /no partition group has partitionKey "nope" \(have: tenant_id, region\)/);
});

test('partition steps need a database.partitioned module', async (t) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const base = await startApp(
    {
      modules: [...http, { name: 'plain', type: 'database.workflow', config: { driver: 'postgres', dsn: server.dsn } }],
      pipelines: {
        sync: route('POST', '/sync', [
          { name: 'sync', type: 'step.db_sync_partitions', config: { database: 'plain' } },
        ]),
      },
    },
    cleanups,
  );
  const res = await requestJson(`${base}/sync`, { method: 'POST' });
  assert.equal(res.status, 500);
  assert.match(errorOf(res), /module "plain" is not a database.partitioned module/);
});
