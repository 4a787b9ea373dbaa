// dlq.service over real HTTP: step.dlq_send dead-letters a request onto a broker topic, the service
// stores it (SQLite file, so it survives a restart), upstream's /api/v1/dlq API lists, filters, counts,
// retries (republishing to the original topic), resolves, discards and purges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestJson, waitFor } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const yaml = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: bus, type: messaging.broker }
  - { name: store, type: nosql.memory }
  - name: dlq
    type: dlq.service
    config: { topic: orders.dlq, broker: bus, db_path: dlq.db, max_retries: 5 }
workflows:
  http:
    routes:
      - { method: GET, path: /api/v1/dlq, handler: dlq }
      - { method: GET, path: "/api/v1/dlq/{rest...}", handler: dlq }
      - { method: POST, path: "/api/v1/dlq/{rest...}", handler: dlq }
      - { method: DELETE, path: "/api/v1/dlq/{rest...}", handler: dlq }
pipelines:
  reject:
    trigger: { type: http, config: { path: /orders/reject, method: POST } }
    steps:
      - name: dead
        type: step.dlq_send
        config:
          topic: orders.dlq
          original_topic: orders
          error: "out of stock: {{ .body.sku }}"
          payload: { sku: "{{ .body.sku }}" }
          broker: bus
      - { name: respond, type: step.json_response, config: { status: 202, body: { queued: true } } }
  on-order:
    trigger: { type: event, config: { topic: orders, broker: bus } }
    steps:
      - { name: save, type: step.nosql_put, config: { store: store, key: "order:{{ .sku }}" } }
  list:
    trigger: { type: http, config: { path: "/items/{prefix}", method: GET } }
    steps:
      - { name: q, type: step.nosql_query, config: { store: store, prefix: "{{ .prefix }}:" } }
      - { name: respond, type: step.json_response, config: { status: 200, body_from: steps.q.items } }
`;

test('dlq.service stores dead letters from step.dlq_send and serves the /api/v1/dlq API', async (t) => {
  let app = await startApp(t, yaml);
  for (const sku of ['a-1', 'b-2', 'c-3']) {
    const res = await requestJson(`${app.url}/orders/reject`, { method: 'POST', body: { sku } });
    assert.equal(res.status, 202);
  }
  const list = await requestJson(`${app.url}/api/v1/dlq?limit=2`);
  assert.equal(list.status, 200);
  assert.deepEqual([list.json.total, list.json.limit, list.json.offset, list.json.entries.length], [3, 2, 0, 2]);
  const newest = list.json.entries[0];
  assert.deepEqual(
    [newest.original_event, newest.error_message, newest.status, newest.retry_count, newest.max_retries],
    [{ sku: 'c-3' }, 'out of stock: c-3', 'pending', 0, 5],
  );
  assert.equal(newest.metadata.original_topic, 'orders');

  // entries are in SQLite: a restart keeps them
  app = await app.restart();
  const all = await requestJson(`${app.url}/api/v1/dlq`);
  const bySku = Object.fromEntries(
    all.json.entries.map((e: { original_event: { sku: string } }) => [e.original_event.sku, e]),
  );
  assert.deepEqual(Object.keys(bySku).sort(), ['a-1', 'b-2', 'c-3']);

  // retry: status retrying, count + 1, and the original event goes back to `orders`
  const retry = await requestJson(`${app.url}/api/v1/dlq/${bySku['a-1'].id}/retry`, { method: 'POST' });
  assert.deepEqual([retry.status, retry.json], [200, { status: 'retrying' }]);
  const redelivered = await waitFor(async () => {
    const got = await requestJson(`${app.url}/items/order`);
    return got.json.length > 0 ? got.json : undefined;
  });
  assert.equal(redelivered[0].sku, 'a-1');
  const one = await requestJson(`${app.url}/api/v1/dlq/${bySku['a-1'].id}`);
  assert.deepEqual([one.json.status, one.json.retry_count], ['retrying', 1]);

  const resolved = await requestJson(`${app.url}/api/v1/dlq/${bySku['b-2'].id}/resolve`, { method: 'POST' });
  assert.deepEqual(resolved.json, { status: 'resolved' });
  await requestJson(`${app.url}/api/v1/dlq/${bySku['c-3'].id}/discard`, { method: 'POST' });
  const stats = await requestJson(`${app.url}/api/v1/dlq/stats`);
  assert.deepEqual(stats.json, { total: 3, by_status: { pending: 0, retrying: 1, resolved: 1, discarded: 1 } });
  const pendingOnly = await requestJson(`${app.url}/api/v1/dlq?status=resolved`);
  assert.deepEqual([pendingOnly.json.total, pendingOnly.json.entries[0].original_event], [1, { sku: 'b-2' }]);
  assert.ok(pendingOnly.json.entries[0].resolved_at);

  // purge removes settled entries older than the cutoff (none are 720 hours old; all are older than 0)
  const keep = await requestJson(`${app.url}/api/v1/dlq/purge`, { method: 'DELETE' });
  assert.deepEqual(keep.json, { purged: 0, older_than_hours: 720 });

  // bad ids, unknown entries and wrong methods get upstream's JSON errors
  assert.deepEqual((await requestJson(`${app.url}/api/v1/dlq/not-a-uuid`)).json, { error: 'invalid id' });
  const missing = await requestJson(`${app.url}/api/v1/dlq/00000000-0000-4000-8000-000000000000/retry`, {
    method: 'POST',
  });
  assert.deepEqual([missing.status, missing.json], [404, { error: 'entry not found' }]);
  const wrong = await requestJson(`${app.url}/api/v1/dlq/stats`, { method: 'POST' });
  assert.equal(wrong.status, 405);
});

test('dlq.service config errors are located; a broker that is not one fails init with its name', async (t) => {
  await assert.rejects(
    startApp(
      t,
      `
modules:
  - { name: dlq, type: dlq.service, config: { max_retries: -1, broker: bus } }
`,
    ),
    (err: Error) => {
      assert.match(err.message, /workflow\.yaml:3:\d+.*"max_retries" must be a whole number/);
      assert.match(err.message, /"broker" needs a "topic"/);
      return true;
    },
  );
  await assert.rejects(
    startApp(
      t,
      `
modules:
  - { name: store, type: nosql.memory }
  - { name: dlq, type: dlq.service, config: { topic: t, broker: store } }
`,
    ),
    /broker "store" is not a message broker module/,
  );
});
