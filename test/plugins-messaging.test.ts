// Publish/subscribe on the real engine: an HTTP pipeline publishes, an event-triggered pipeline and
// a messaging.handler subscriber both run (in-memory broker delivers before publish returns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestJson } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const config = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: bus, type: messaging.broker }
  - { name: store, type: nosql.memory }
  - name: audit-subscriber
    type: messaging.handler
    config: { pipeline: record-audit }

workflows:
  http: { server: server, router: router, routes: [] }
  messaging:
    broker: bus
    subscriptions:
      - { topic: orders, handler: audit-subscriber }

pipelines:
  create-order:
    trigger: { type: http, config: { path: /orders, method: POST } }
    steps:
      - name: publish
        type: step.publish
        config:
          topic: orders
          broker: bus
          payload: { type: order.created, id: "{{ .body.id }}", total: "{{ .body.total }}" }
      - name: respond
        type: step.json_response
        config:
          status: 202
          body: { published: "{{ .steps.publish.published }}", topic: "{{ .steps.publish.topic }}" }

  on-order-created:
    trigger: { type: event, config: { topic: orders, event: order.created } }
    steps:
      - name: save
        type: step.nosql_put
        config: { store: store, key: "order:{{ .id }}" }

  record-audit:
    steps:
      - name: save
        type: step.nosql_put
        config: { store: store, key: "audit:{{ .id }}" }

  list:
    trigger: { type: http, config: { path: "/items/{prefix}", method: GET } }
    steps:
      - name: q
        type: step.nosql_query
        config: { store: store, prefix: "{{ .prefix }}:" }
      - name: respond
        type: step.json_response
        config: { status: 200, body_from: steps.q.items }
`;

test('a published message reaches an event-triggered pipeline and a subscribed handler', async (t) => {
  const app = await startApp(t, config);
  const published = await requestJson(`${app.url}/orders`, { method: 'POST', body: { id: 'o-7', total: 42 } });
  assert.deepEqual([published.status, published.json], [202, { published: 'true', topic: 'orders' }]);

  const orders = await requestJson(`${app.url}/items/order`);
  assert.equal(orders.json.length, 1);
  assert.deepEqual([orders.json[0].id, orders.json[0].total, orders.json[0].type], ['o-7', '42', 'order.created']);
  const audits = await requestJson(`${app.url}/items/audit`);
  assert.equal(audits.json.length, 1);
  assert.equal(audits.json[0].topic, 'orders');
});
