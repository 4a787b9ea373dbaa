// The actors plugin over real HTTP: upstream's actor-system-config.yaml example as it is (an
// auto-managed pool keeping per-order state, a permanent round-robin pool), then the actor model's
// guarantees: one actor runs its messages one at a time (no lost updates under concurrency),
// identities have separate state, sticky routing, passivation, timeouts and located config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { requestJson, waitFor } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const corpus = process.env.WORKFLOW_CORPUS ?? new URL('./fixtures/corpus', import.meta.url).pathname;

test("actors: upstream's actor-system-config.yaml runs as it is", async (t) => {
  const app = await startApp(t, readFileSync(`${corpus}/workflow-examples/actor-system-config.yaml`, 'utf8'));
  const created = await requestJson(`${app.url}/orders`, {
    method: 'POST',
    body: { order_id: 'o-1', items: ['book', 'pen'] },
  });
  assert.equal(created.status, 201, created.text);
  // the route encodes items as JSON text and the handler encodes that text again: upstream does the same
  assert.deepEqual(created.json, { order_id: 'o-1', status: 'confirmed', items: JSON.stringify('["book","pen"]') });

  // the actor of o-1 kept its state: GetStatus reads it
  assert.deepEqual((await requestJson(`${app.url}/orders/o-1`)).json, { order_id: 'o-1', status: 'confirmed' });
  // another identity is another actor, with its own (empty) state
  assert.deepEqual((await requestJson(`${app.url}/orders/o-2`)).json, { order_id: 'o-2', status: '<no value>' });
  const cancelled = await requestJson(`${app.url}/orders/o-1`, { method: 'DELETE' });
  assert.equal(cancelled.json.status, 'cancelled');
  assert.match(cancelled.json.cancelled_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal((await requestJson(`${app.url}/orders/o-1`)).json.status, 'cancelled');

  // the permanent pool of 4 workers takes jobs round-robin
  const workers: string[] = [];
  for (let i = 0; i < 5; i++) {
    const job = await requestJson(`${app.url}/jobs`, { method: 'POST', body: { job_id: `j${i}` } });
    assert.equal(job.json.status, 'completed');
    assert.equal(job.json.job_id, `j${i}`);
    workers.push(job.json.worker);
  }
  assert.deepEqual(workers, ['workers-0', 'workers-1', 'workers-2', 'workers-3', 'workers-0']);
});

const counters = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: actors, type: actor.system }
  - { name: counters, type: actor.pool, config: { system: actors, idleTimeout: 300ms } }
  - name: shards
    type: actor.pool
    config: { system: actors, mode: permanent, poolSize: 3, routing: sticky, routingKey: tenant }
  - name: everyone
    type: actor.pool
    config: { system: actors, mode: permanent, poolSize: 2, routing: broadcast }
workflows:
  actors:
    pools:
      counters:
        receive:
          Increment:
            steps:
              - { name: bump, type: step.set, config: { values: { count: "{{ add (default 0 .state.count) 1 }}" } } }
          Slow:
            steps:
              - { name: wait, type: step.set, config: { values: { slow: true } } }
              - name: call
                type: step.http_call
                config: { url: "{{ .message.payload.url }}", method: GET, timeout: 30s }
          Fail:
            steps:
              - { name: boom, type: step.http_call, config: { url: "http://127.0.0.1:1/", method: GET } }
      shards:
        receive:
          Who:
            steps:
              - { name: me, type: step.set, config: { values: { shard: "{{ .actor.identity }}" } } }
      everyone:
        receive:
          Ping:
            steps:
              - { name: pong, type: step.set, config: { values: { pinged: true } } }
pipelines:
  bump:
    trigger: { type: http, config: { path: "/count/{id}", method: POST } }
    steps:
      - { name: parse, type: step.request_parse, config: {} }
      - name: ask
        type: step.actor_ask
        config: { pool: counters, identity: "{{ .steps.parse.path_params.id }}", message: { type: Increment } }
      - { name: respond, type: step.json_response, config: { body_from: steps.ask } }
  ask:
    steps:
      - name: ask
        type: step.actor_ask
        config:
          pool: counters
          identity: "{{ .id }}"
          timeout: 300ms
          message: { type: "{{ .type }}", payload: { tenant: "{{ .tenant }}", url: "{{ .url }}" } }
  shard:
    steps:
      - name: ask
        type: step.actor_ask
        config: { pool: shards, message: { type: Who, payload: { tenant: "{{ .tenant }}" } } }
  broadcastAsk:
    steps:
      - { name: ask, type: step.actor_ask, config: { pool: everyone, message: { type: Ping } } }
  broadcastSend:
    steps:
      - { name: send, type: step.actor_send, config: { pool: everyone, message: { type: Ping } } }
  failAsk:
    steps:
      - { name: ask, type: step.actor_ask, config: { pool: counters, identity: x, message: { type: Fail } } }
  unknownType:
    steps:
      - { name: ask, type: step.actor_ask, config: { pool: counters, identity: x, message: { type: Nope } } }
  noIdentity:
    steps:
      - { name: send, type: step.actor_send, config: { pool: counters, message: { type: Increment } } }
`;

test('actors: one actor, one message at a time; separate identities; sticky; passivation; errors', async (t) => {
  const app = await startApp(t, counters);
  // 20 concurrent increments of one counter: each sees the previous one's state
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => requestJson(`${app.url}/count/c1`, { method: 'POST' })),
  );
  assert.deepEqual(
    answers.map((a) => Number(a.json.count)).sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.equal((await requestJson(`${app.url}/count/c2`, { method: 'POST' })).json.count, '1');

  // passivation after idleTimeout (300ms): the actor and its state are gone
  const pool = app.engine.app.services.get('counters') as { actors(): string[] };
  await waitFor(() => !pool.actors().includes('c1'), 30_000, 'c1 to be passivated');
  assert.equal((await requestJson(`${app.url}/count/c1`, { method: 'POST' })).json.count, '1');

  // sticky routing: a tenant always reaches the same actor of the permanent pool
  const run = (name: string, data = {}) => app.engine.executePipeline(name, data);
  const shardOf = async (tenant: string) => ((await run('shard', { tenant })) as { shard: string }).shard;
  const first = await shardOf('acme');
  for (let i = 0; i < 5; i++) assert.equal(await shardOf('acme'), first);
  assert.match(first, /^shards-[0-2]$/);

  // errors: broadcast ask, a failing handler, an unknown message type, a missing identity, a timeout
  await assert.rejects(run('broadcastAsk'), /broadcast routing is not supported for ask/);
  assert.deepEqual(await run('broadcastSend'), { delivered: true });
  await assert.rejects(run('failAsk'), /actor "x" \(pool "counters"\), handler "Fail": .*boom/);
  await assert.rejects(run('unknownType'), /no handler for message type "Nope"/);
  await assert.rejects(run('noIdentity'), /"identity" is required for auto-managed pool "counters"/);
  // a handler stuck on a slow backend: the ask gives up, the actor is still usable afterwards
  const { createServer } = await import('node:http');
  const held: import('node:http').ServerResponse[] = [];
  const slow = createServer((_req, res) => held.push(res));
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => slow.close(() => r())));
  const url = `http://127.0.0.1:${(slow.address() as { port: number }).port}/`;
  await assert.rejects(run('ask', { id: 'slowpoke', type: 'Slow', url }), /no answer from "slowpoke" within 300 ms/);
  for (const res of held) res.end('{}');
  slow.closeAllConnections();
});

test('actors: config mistakes are located', async (t) => {
  await assert.rejects(
    startApp(
      t,
      `
modules:
  - { name: actors, type: actor.system }
  - { name: p, type: actor.pool, config: { system: actors, mode: permanent, routing: sticky } }
`,
    ),
    /"routingKey" is required when routing is sticky/,
  );
  await assert.rejects(
    startApp(
      t,
      `
modules:
  - { name: actors, type: actor.system }
  - { name: p, type: actor.pool, config: { system: actors } }
workflows:
  actors:
    pools:
      p:
        receive:
          Empty: { steps: [] }
`,
    ),
    /pool "p" handler "Empty": "steps" must be a non-empty list/,
  );
});
