import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpHandler, WorkflowConfig } from '../../engine/index.ts';
import { createRecorder, requestJson, serveRoutes, startTestApp, TestApp } from '../testing/index.ts';
import { statemachinePlugin } from '../statemachine/index.ts';
import { storagePlugin } from '../storage/index.ts';
import { messagingPlugin, type InMemoryBroker } from '../messaging/index.ts';
import { apiPlugin, applyOperations, type DataTransformer } from './index.ts';

const plugins = [apiPlugin, statemachinePlugin, storagePlugin, messagingPlugin];

function ordersConfig(extraModules: WorkflowConfig['modules'] = []): WorkflowConfig {
  return {
    modules: [
      { name: 'order-sm', type: 'statemachine.engine' },
      {
        name: 'orders-api',
        type: 'api.handler',
        config: {
          resourceName: 'orders',
          workflowType: 'order-workflow',
          workflowEngine: 'order-sm',
          instanceIDPrefix: 'order-',
        },
      },
      ...extraModules,
    ],
    workflows: {
      statemachine: {
        engine: 'order-sm',
        definitions: [
          {
            name: 'order-workflow',
            initialState: 'new',
            states: { new: {}, paid: {}, shipped: { isFinal: true } },
            transitions: {
              pay: { fromState: 'new', toState: 'paid' },
              ship: { fromState: 'paid', toState: 'shipped' },
            },
          },
        ],
      },
    },
  };
}

async function serveOrders(app: TestApp, name = 'orders-api') {
  const h = app.services.get<HttpHandler>(name)!;
  return serveRoutes({
    'GET /api/orders': h,
    'POST /api/orders': h,
    'GET /api/orders/{id}': h,
    'PUT /api/orders/{id}': h,
    'DELETE /api/orders/{id}': h,
    'POST /api/orders/{id}/transition': h,
    'PUT /api/orders/{id}/transition': h,
    'POST /api/orders/{id}/{action}': h,
  });
}

test('REST resource: create (201, uuid), list, get, update, delete, with the upstream JSON shape', async (t) => {
  const app = await startTestApp({
    plugins,
    config: { modules: [{ name: 'items', type: 'api.handler', config: { resourceName: 'items' } }] },
  });
  const h = app.services.get<HttpHandler>('items')!;
  const server = await serveRoutes({
    'GET /items': h,
    'POST /items': h,
    'GET /items/{id}': h,
    'PUT /items/{id}': h,
    'DELETE /items/{id}': h,
  });
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const created = await requestJson(`${server.url}/items`, { method: 'POST', body: { name: 'lamp' } });
  assert.equal(created.status, 201);
  assert.match(created.json.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(created.json.data, { name: 'lamp', id: created.json.id });
  assert.equal(created.json.state, 'new');
  assert.ok(created.json.lastUpdate);
  const id = created.json.id as string;

  const explicit = await requestJson(`${server.url}/items`, { method: 'POST', body: { id: 'fixed', name: 'desk' } });
  assert.equal(explicit.json.id, 'fixed');
  const duplicate = await requestJson(`${server.url}/items`, { method: 'POST', body: { id: 'fixed' } });
  assert.equal(duplicate.status, 409);

  const list = await requestJson(`${server.url}/items`);
  assert.deepEqual(
    list.json.map((r: { id: string }) => r.id),
    [id, 'fixed'],
  );
  assert.equal((await requestJson(`${server.url}/items/${id}`)).json.data.name, 'lamp');
  const updated = await requestJson(`${server.url}/items/${id}`, { method: 'PUT', body: { name: 'big lamp' } });
  assert.deepEqual([updated.status, updated.json.data.name, updated.json.state], [200, 'big lamp', 'new']);
  assert.equal((await requestJson(`${server.url}/items/nope`)).status, 404);
  assert.equal((await requestJson(`${server.url}/items/nope`, { method: 'PUT', body: {} })).status, 404);
  assert.equal((await requestJson(`${server.url}/items/${id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await requestJson(`${server.url}/items/${id}`)).status, 404);
});

test('bad bodies get 400 with a reason, never a crash', async (t) => {
  const app = await startTestApp({ plugins, config: { modules: [{ name: 'items', type: 'api.handler' }] } });
  const h = app.services.get<HttpHandler>('items')!;
  const server = await serveRoutes({ 'POST /items': h });
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const broken = await requestJson(`${server.url}/items`, {
    method: 'POST',
    rawBody: '{"name": ',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(broken.status, 400);
  assert.match(broken.json.error, /not valid JSON/);
  const list = await requestJson(`${server.url}/items`, { method: 'POST', body: [1, 2] });
  assert.equal(list.status, 400);
  assert.match(list.json.error, /expected a JSON object/);
});

test('state machine per resource: create starts the instance, transitions move it, wrong moves are 409', async (t) => {
  const app = await startTestApp({ plugins, config: ordersConfig() });
  const server = await serveOrders(app);
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const created = await requestJson(`${server.url}/api/orders`, { method: 'POST', body: { item: 'book' } });
  assert.equal(created.json.state, 'new');
  const id = created.json.id as string;
  const paid = await requestJson(`${server.url}/api/orders/${id}/transition`, {
    method: 'POST',
    body: { transition: 'pay', data: { amount: 12 } },
  });
  assert.equal(paid.status, 200);
  assert.deepEqual([paid.json.success, paid.json.state, paid.json.instanceId], [true, 'paid', `order-${id}`]);
  assert.equal(paid.json.resource.data.amount, 12);
  const again = await requestJson(`${server.url}/api/orders/${id}/transition`, {
    method: 'PUT',
    body: { transition: 'pay' },
  });
  assert.equal(again.status, 409);
  assert.equal(again.json.success, false);
  assert.match(again.json.error, /from state "paid"/);
  const missing = await requestJson(`${server.url}/api/orders/${id}/transition`, { method: 'POST', body: {} });
  assert.equal(missing.status, 400);
  const shipped = await requestJson(`${server.url}/api/orders/${id}/ship`, { method: 'POST' });
  assert.equal(shipped.json.state, 'shipped');
  assert.equal((await requestJson(`${server.url}/api/orders/${id}`)).json.state, 'shipped');
  assert.equal((await requestJson(`${server.url}/api/orders/${id}/teleport`, { method: 'POST' })).status, 404);
});

test('resources and instance states survive a restart with persistence.store; seeds fill only gaps', async (t) => {
  const dbModules: WorkflowConfig['modules'] = [
    { name: 'db', type: 'database.workflow', config: { driver: 'sqlite', dsn: 'orders.db' } },
    { name: 'persistence', type: 'persistence.store', config: { database: 'db' } },
  ];
  const first = new TestApp({ plugins, config: ordersConfig(dbModules) });
  writeFileSync(join(first.configDir, 'seed.json'), JSON.stringify([{ id: 's1', data: { item: 'seeded' } }]));
  const cfg = ordersConfig(dbModules);
  (cfg.modules![1].config as Record<string, unknown>).seedFile = 'seed.json';
  const a = new TestApp({ plugins, config: cfg, configDir: first.configDir, dataDir: first.dataDir });
  await a.build();
  await a.start();
  let server = await serveOrders(a);
  const created = await requestJson(`${server.url}/api/orders`, { method: 'POST', body: { item: 'chair' } });
  const id = created.json.id as string;
  await requestJson(`${server.url}/api/orders/${id}/transition`, { method: 'POST', body: { transition: 'pay' } });
  await requestJson(`${server.url}/api/orders/s1`, { method: 'PUT', body: { item: 'edited seed' } });
  await server.close();
  await a.halt();

  const b = await startTestApp({ plugins, config: cfg, configDir: first.configDir, dataDir: first.dataDir });
  server = await serveOrders(b);
  t.after(async () => {
    await server.close();
    await b.stop();
    await first.stop();
  });
  const got = await requestJson(`${server.url}/api/orders/${id}`);
  assert.deepEqual([got.status, got.json.data.item, got.json.state], [200, 'chair', 'paid']);
  const seeded = await requestJson(`${server.url}/api/orders/s1`);
  assert.equal(seeded.json.data.item, 'edited seed');
  const shipped = await requestJson(`${server.url}/api/orders/${id}/transition`, {
    method: 'POST',
    body: { transition: 'ship' },
  });
  assert.equal(shipped.json.state, 'shipped');
});

test('a view (sourceResourceName + stateFilter) lists another resource type read-only', async (t) => {
  const app = await startTestApp({
    plugins,
    config: ordersConfig([
      { name: 'db', type: 'database.workflow', config: { driver: 'sqlite', dsn: ':memory:' } },
      { name: 'persistence', type: 'persistence.store', config: { database: 'db' } },
      { name: 'paid-orders', type: 'api.handler', config: { sourceResourceName: 'orders', stateFilter: 'paid' } },
    ]),
  });
  const orders = await serveOrders(app);
  const view = app.services.get<HttpHandler>('paid-orders')!;
  const viewServer = await serveRoutes({ 'GET /paid': view, 'POST /paid': view });
  t.after(async () => {
    await orders.close();
    await viewServer.close();
    await app.stop();
  });
  const a = await requestJson(`${orders.url}/api/orders`, { method: 'POST', body: { item: 'a' } });
  await requestJson(`${orders.url}/api/orders`, { method: 'POST', body: { item: 'b' } });
  await requestJson(`${orders.url}/api/orders/${a.json.id}/transition`, {
    method: 'POST',
    body: { transition: 'pay' },
  });
  const paid = await requestJson(`${viewServer.url}/paid`);
  assert.deepEqual(
    paid.json.map((r: { data: { item: string } }) => r.data.item),
    ['a'],
  );
  assert.equal((await requestJson(`${viewServer.url}/paid`, { method: 'POST', body: {} })).status, 405);
});

test('publishEvents sends <resource>.created to <resource>-events', async (t) => {
  const recorder = createRecorder();
  const app = await startTestApp({
    plugins: [...plugins, recorder.plugin],
    config: {
      modules: [
        { name: 'bus', type: 'messaging.broker' },
        { name: 'items', type: 'api.handler', config: { publishEvents: true } },
      ],
    },
  });
  const h = app.services.get<HttpHandler>('items')!;
  const server = await serveRoutes({ 'POST /items': h });
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const seen: string[] = [];
  app.services
    .get<InMemoryBroker>('bus')!
    .subscribe('items-events', (_t, p) => void seen.push(JSON.parse(p.toString()).eventType));
  await requestJson(`${server.url}/items`, { method: 'POST', body: { a: 1 } });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['items.created']);
});

test('api.command runs the route pipeline, falls back to the delegate, else 404', async (t) => {
  const recorder = createRecorder();
  const app = await startTestApp({
    plugins: [...plugins, recorder.plugin],
    config: {
      modules: [
        { name: 'items', type: 'api.handler' },
        {
          name: 'cmds',
          type: 'api.command',
          config: { delegate: 'items', routes: { 'POST /cmd/{id}/run': 'run-cmd', fail: 'fail-cmd' } },
        },
      ],
      pipelines: {
        'run-cmd': { steps: [{ name: 'rec', type: 'test.record' }] },
        'fail-cmd': { steps: [{ name: 'boom', type: 'test.fail', config: { message: 'disk full' } }] },
      },
    },
  });
  const h = app.services.get<HttpHandler>('cmds')!;
  const server = await serveRoutes({ 'POST /cmd/{id}/run': h, 'POST /cmd/other': h, 'POST /cmd/fail': h });
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const ran = await requestJson(`${server.url}/cmd/7/run?dry=1`, { method: 'POST', body: { force: true } });
  assert.equal(ran.status, 200);
  assert.deepEqual(
    [recorder.runs[0].current.id, recorder.runs[0].current.dry, recorder.runs[0].current.commandName],
    ['7', '1', 'run'],
  );
  assert.deepEqual(recorder.runs[0].current.body, { force: true });
  const delegated = await requestJson(`${server.url}/cmd/other`, { method: 'POST', body: { n: 1 } });
  assert.equal(delegated.status, 201);
  const failed = await requestJson(`${server.url}/cmd/fail`, { method: 'POST' });
  assert.deepEqual([failed.status, failed.json.error], [500, 'command fail failed: step "boom" failed: disk full']);
});

test('api.query runs the route pipeline with queryName and query lists, answers its output, else 404', async (t) => {
  const recorder = createRecorder();
  const app = await startTestApp({
    plugins: [...plugins, recorder.plugin],
    config: {
      modules: [{ name: 'queries', type: 'api.query', config: { routes: { 'GET /q/{kind}/summary': 'summary' } } }],
      pipelines: { summary: { steps: [{ name: 'rec', type: 'test.record' }] } },
    },
  });
  const h = app.services.get<HttpHandler>('queries')!;
  const server = await serveRoutes({ 'GET /q/{kind}/summary': h, 'GET /q/other': h });
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const res = await requestJson(`${server.url}/q/orders/summary?tag=a&tag=b`);
  assert.equal(res.status, 200);
  const seen = recorder.runs[0].current;
  assert.deepEqual(
    [seen.kind, seen.queryName, seen.query, seen.method, seen.commandName, seen.body],
    ['orders', 'summary', { tag: ['a', 'b'] }, 'GET', undefined, undefined],
  );
  assert.equal(res.json.recorded, true);
  const unknown = await requestJson(`${server.url}/q/other`);
  assert.deepEqual([unknown.status, unknown.json], [404, { error: 'unknown query: other' }]);
});

test('data.transformer runs extract / map / filter / convert pipelines', async (t) => {
  const app = await startTestApp({
    plugins,
    config: {
      modules: [
        {
          name: 'tx',
          type: 'data.transformer',
          config: {
            pipelines: {
              customer: [
                { type: 'extract', config: { path: 'order.customer' } },
                { type: 'map', config: { mappings: { fullName: 'name' } } },
                { type: 'filter', config: { fields: ['name', 'email'] } },
              ],
            },
          },
        },
      ],
    },
  });
  t.after(() => app.stop());
  const tx = app.services.get<DataTransformer>('tx')!;
  assert.deepEqual(tx.transform('customer', { order: { customer: { fullName: 'Ada', email: 'a@x', age: 36 } } }), {
    name: 'Ada',
    email: 'a@x',
  });
  assert.throws(
    () => tx.transform('customer', { order: {} }),
    /operation 0 \(extract\) failed: key "customer" not found/,
  );
  assert.deepEqual(applyOperations([{ type: 'convert', config: { from: 'string', to: 'json' } }], '{"a":[1]}'), {
    a: [1],
  });
});
