// messaging.nats against a real nats-server (Debian package) on a free port: one app publishes from
// an HTTP pipeline, another app (a separate engine on the same server) receives through an event
// trigger and a messaging.handler subscription; every subscribed app gets each message (NATS
// fan-out); an app whose NATS is down fails to start with where it looked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestJson, startNatsServer, waitFor } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const publisher = (url: string) => `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: nats, type: messaging.nats, config: { url: "${url}" } }
pipelines:
  create-order:
    trigger: { type: http, config: { path: /orders, method: POST } }
    steps:
      - name: publish
        type: step.publish
        config: { topic: orders.created, broker: nats, payload: { type: order.created, id: "{{ .body.id }}" } }
      - name: respond
        type: step.json_response
        config: { status: 202, body: { published: "{{ .steps.publish.published }}" } }
`;

const subscriber = (url: string) => `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: nats, type: messaging.nats, config: { url: "${url}" } }
  - { name: store, type: nosql.memory }
  - { name: audit, type: messaging.handler, config: { pipeline: record-audit } }
workflows:
  messaging:
    broker: nats
    subscriptions:
      - { topic: orders.created, handler: audit }
pipelines:
  on-order:
    trigger: { type: event, config: { topic: orders.created, broker: nats } }
    steps:
      - { name: save, type: step.nosql_put, config: { store: store, key: "order:{{ .id }}" } }
  record-audit:
    steps:
      - { name: save, type: step.nosql_put, config: { store: store, key: "audit:{{ .id }}" } }
  list:
    trigger: { type: http, config: { path: "/items/{prefix}", method: GET } }
    steps:
      - { name: q, type: step.nosql_query, config: { store: store, prefix: "{{ .prefix }}:" } }
      - { name: respond, type: step.json_response, config: { status: 200, body_from: steps.q.items } }
`;

test('messaging.nats: a message published by one app reaches the subscriptions of two others', async (t) => {
  const nats = await startNatsServer();
  t.after(() => nats.stop());
  const url = `nats://${nats.address}`;
  const subA = await startApp(t, subscriber(url));
  const subB = await startApp(t, subscriber(url));
  const pub = await startApp(t, publisher(url));
  // subscriptions are open once each app's connection has flushed them to the server
  for (const app of [subA, subB]) await (app.engine.app.services.get('nats') as { flush(): Promise<void> }).flush();

  const res = await requestJson(`${pub.url}/orders`, { method: 'POST', body: { id: 'o-1' } });
  assert.deepEqual([res.status, res.json], [202, { published: 'true' }]);
  for (const app of [subA, subB]) {
    const orders = await waitFor(async () => {
      const got = await requestJson(`${app.url}/items/order`);
      return got.json.length > 0 ? got.json : undefined;
    });
    assert.deepEqual([orders.length, orders[0].id, orders[0].type], [1, 'o-1', 'order.created']);
    const audits = await waitFor(async () => {
      const got = await requestJson(`${app.url}/items/audit`);
      return got.json.length > 0 ? got.json : undefined;
    });
    assert.deepEqual([audits[0].id, audits[0].topic], ['o-1', 'orders.created']);
  }
  // the apps go before their server (the harness's own cleanup would run after nats.stop)
  for (const app of [pub, subA, subB]) await app.stop();
});

test('messaging.nats: no NATS server at the URL fails start with where it looked', async (t) => {
  const nats = await startNatsServer();
  const url = `nats://${nats.address}`;
  await nats.stop();
  await assert.rejects(startApp(t, publisher(url)), (err: Error) => {
    assert.match(err.message, new RegExp(`messaging.nats "nats": cannot reach NATS at ${url}`));
    assert.match(err.message, /is nats-server running there\?/);
    return true;
  });
});

const eventApp = (url: string) => `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: nats, type: messaging.nats, config: { url: "${url}" } }
  - { name: store, type: nosql.memory }
pipelines:
  ship:
    trigger: { type: http, config: { path: /shipments, method: POST } }
    steps:
      - name: emit
        type: step.event_publish
        config:
          topic: shipments.created
          broker: nats
          event_type: shipment.created
          source: /shipments
          payload: { id: "{{ .body.id }}" }
      - name: respond
        type: step.json_response
        config: { status: 202, body: { published: "{{ .steps.emit.published }}" } }
  reject:
    trigger: { type: http, config: { path: /rejections, method: POST } }
    steps:
      - name: dead
        type: step.dlq_send
        config: { topic: shipments.dlq, original_topic: shipments.created, error: "bad {{ .body.id }}", broker: nats }
      - name: respond
        type: step.json_response
        config: { status: 202, body: { dlq_sent: "{{ .steps.dead.dlq_sent }}" } }
  on-shipment:
    trigger: { type: event, config: { topic: shipments.created, broker: nats } }
    steps:
      - { name: save, type: step.nosql_put, config: { store: store, key: "shipment:{{ .data.id }}" } }
  on-dead-letter:
    trigger: { type: event, config: { topic: shipments.dlq, broker: nats } }
    steps:
      - name: replay
        type: step.dlq_replay
        config: { dlq_topic: shipments.dlq, target_topic: replayed, broker: nats }
  on-replayed:
    trigger: { type: event, config: { topic: replayed, broker: nats } }
    steps:
      - { name: save, type: step.nosql_put, config: { store: store, key: "replayed:{{ .body.id }}" } }
  list:
    trigger: { type: http, config: { path: "/items/{prefix}", method: GET } }
    steps:
      - { name: q, type: step.nosql_query, config: { store: store, prefix: "{{ .prefix }}:" } }
      - { name: respond, type: step.json_response, config: { status: 200, body_from: steps.q.items } }
`;

test('step.event_publish and the dlq steps over NATS: CloudEvents envelope, dead letter, replay', async (t) => {
  const nats = await startNatsServer();
  t.after(() => nats.stop());
  const app = await startApp(t, eventApp(`nats://${nats.address}`));
  await (app.engine.app.services.get('nats') as { flush(): Promise<void> }).flush();
  const until = (prefix: string) =>
    waitFor(async () => {
      const got = await requestJson(`${app.url}/items/${prefix}`);
      return got.json.length > 0 ? got.json : undefined;
    });

  const res = await requestJson(`${app.url}/shipments`, { method: 'POST', body: { id: 's-1' } });
  assert.deepEqual([res.status, res.json], [202, { published: 'true' }]);
  const [event] = await until('shipment');
  assert.deepEqual(
    [event.specversion, event.type, event.source, event.data],
    ['1.0', 'shipment.created', '/shipments', { id: 's-1' }],
  );

  // a dead letter carries the request (all of Current) as payload; the replay republishes that payload
  const dead = await requestJson(`${app.url}/rejections`, { method: 'POST', body: { id: 's-2' } });
  assert.deepEqual([dead.status, dead.json], [202, { dlq_sent: 'true' }]);
  const [replayed] = await until('replayed');
  assert.deepEqual(replayed, { id: 's-2' }, 'nosql_put stores the replayed request body');
  await app.stop();
});
