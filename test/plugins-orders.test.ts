// An order app on the real engine: REST resource + state machine + SQLite persistence, driven over
// HTTP, and the data and instance states surviving an engine restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestJson } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const config = `
name: orders
modules:
  - name: server
    type: http.server
    config: { address: ":8080" }
  - name: router
    type: http.router
    dependsOn: [server]
  - name: orders-db
    type: database.workflow
    config: { driver: sqlite, dsn: orders.db }
  - name: persistence
    type: persistence.store
    dependsOn: [orders-db]
    config: { database: orders-db }
  - name: order-sm
    type: statemachine.engine
    dependsOn: [persistence]
  - name: orders-api
    type: api.handler
    dependsOn: [router, order-sm]
    config: { resourceName: orders, workflowType: order-workflow, workflowEngine: order-sm }

workflows:
  http:
    server: server
    router: router
    routes:
      - { method: POST, path: /api/orders, handler: orders-api }
      - { method: GET, path: /api/orders, handler: orders-api }
      - { method: GET, path: "/api/orders/{id}", handler: orders-api }
      - { method: POST, path: "/api/orders/{id}/transition", handler: orders-api }
  statemachine:
    engine: order-sm
    definitions:
      - name: order-workflow
        initialState: new
        states: { new: {}, paid: {}, shipped: { isFinal: true }, cancelled: { isFinal: true } }
        transitions:
          pay: { fromState: new, toState: paid }
          ship: { fromState: paid, toState: shipped }
          cancel: { fromState: new, toState: cancelled }

pipelines:
  ship-order:
    trigger: { type: http, config: { path: "/api/orders/{id}/ship", method: POST } }
    steps:
      - name: ship
        type: step.statemachine_transition
        config: { statemachine: order-sm, entity_id: "{{ .id }}", event: ship, fail_on_error: true }
      - name: audit-table
        type: step.db_exec
        config:
          database: orders-db
          query: "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, order_id TEXT, event TEXT)"
      - name: audit
        type: step.db_exec
        config:
          database: orders-db
          query: "INSERT INTO audit (order_id, event) VALUES ($1, $2)"
          params: ["{{ .id }}", "{{ .steps.ship.new_state }}"]
      - name: respond
        type: step.json_response
        config:
          status: 200
          body: { id: "{{ .id }}", state: "{{ .steps.ship.new_state }}", audit_id: "{{ .steps.audit.last_id }}" }
  audit-log:
    trigger: { type: http, config: { path: /api/audit, method: GET } }
    steps:
      - name: q
        type: step.db_query
        config: { database: orders-db, query: "SELECT order_id, event FROM audit ORDER BY id" }
      - name: respond
        type: step.json_response
        config: { status: 200, body_from: steps.q.rows }
`;

test('orders move through their state machine over HTTP and survive an engine restart with SQLite', async (t) => {
  let app = await startApp(t, config);
  const created = await requestJson(`${app.url}/api/orders`, { method: 'POST', body: { item: 'book', qty: 2 } });
  assert.equal(created.status, 201);
  assert.equal(created.json.state, 'new');
  const id = created.json.id as string;
  const other = await requestJson(`${app.url}/api/orders`, { method: 'POST', body: { item: 'pen' } });

  const paid = await requestJson(`${app.url}/api/orders/${id}/transition`, {
    method: 'POST',
    body: { transition: 'pay', data: { paidWith: 'card' } },
  });
  assert.deepEqual([paid.status, paid.json.state], [200, 'paid']);
  const shipped = await requestJson(`${app.url}/api/orders/${id}/ship`, { method: 'POST' });
  assert.equal(shipped.status, 200);
  assert.deepEqual([shipped.json.id, shipped.json.state, shipped.json.audit_id], [id, 'shipped', '1']);
  await requestJson(`${app.url}/api/orders/${other.json.id}/transition`, {
    method: 'POST',
    body: { transition: 'cancel' },
  });

  app = await app.restart();

  const again = await requestJson(`${app.url}/api/orders/${id}`);
  assert.equal(again.status, 200);
  assert.deepEqual(
    [again.json.state, again.json.data.item, again.json.data.qty, again.json.data.paidWith],
    ['shipped', 'book', 2, 'card'],
  );
  const list = await requestJson(`${app.url}/api/orders`);
  assert.deepEqual(list.json.map((o: { state: string }) => o.state).sort(), ['cancelled', 'shipped']);
  assert.deepEqual((await requestJson(`${app.url}/api/audit`)).json, [{ order_id: id, event: 'shipped' }]);

  const late = await requestJson(`${app.url}/api/orders/${id}/transition`, {
    method: 'POST',
    body: { transition: 'pay' },
  });
  assert.equal(late.status, 409);
  assert.match(late.json.error, /from state "shipped", expected "new"/);
  const failedShip = await requestJson(`${app.url}/api/orders/${other.json.id}/ship`, { method: 'POST' });
  assert.equal(failedShip.status, 409, 'an invalid transition in a pipeline is a conflict, not a server error');
  assert.match(failedShip.json.error, /cannot trigger transition "ship" from state "cancelled"/);
  assert.equal((await requestJson(`${app.url}/api/orders/nope`)).status, 404);
});
