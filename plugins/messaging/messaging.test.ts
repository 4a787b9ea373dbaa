import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowConfig } from '../../engine/index.ts';
import { createRecorder, rejectsWithIssue, serve, startTestApp, TestApp, waitFor } from '../testing/index.ts';
import { messagingPlugin, InMemoryBroker, type WebhookSender, backoffDelay } from './index.ts';

async function app(config: WorkflowConfig, t: { after(fn: () => Promise<void>): void }) {
  const recorder = createRecorder();
  const a = await startTestApp({ plugins: [messagingPlugin, recorder.plugin], config });
  t.after(() => a.stop());
  return { app: a, recorder };
}

test('broker delivers synchronously to exact-topic subscribers only, and swallows subscriber errors', async (t) => {
  const { app: a } = await app(
    { modules: [{ name: 'bus', type: 'messaging.broker', config: { maxQueueSize: 5 } }] },
    t,
  );
  const broker = a.services.get<InMemoryBroker>('bus')!;
  const seen: string[] = [];
  broker.subscribe('orders', (_t, p) => void seen.push(`a:${p.toString()}`));
  broker.subscribe('orders', () => {
    throw new Error('boom');
  });
  broker.subscribe('orders', async (_t, p) => {
    await new Promise((r) => setTimeout(r, 5));
    seen.push(`c:${p.toString()}`);
  });
  broker.subscribe('orders.other', () => void seen.push('wrong topic'));
  await broker.publish('orders', { id: 1 });
  assert.deepEqual(seen, ['a:{"id":1}', 'c:{"id":1}']);
  await broker.publish('nobody-listens', 'x');
  assert.ok(a.services.has('bus.producer') && a.services.has('bus.consumer'));
});

test('maxQueueSize bounds subscribers per topic (integer YAML values count)', async (t) => {
  const { app: a } = await app(
    { modules: [{ name: 'bus', type: 'messaging.broker', config: { maxQueueSize: 1 } }] },
    t,
  );
  const broker = a.services.get<InMemoryBroker>('bus')!;
  broker.subscribe('t', () => {});
  assert.throws(() => broker.subscribe('t', () => {}), /maxQueueSize/);
});

test('a pipeline publishes and the subscribed handler runs its pipeline with the message data', async (t) => {
  const { app: a, recorder } = await app(
    {
      modules: [
        { name: 'bus', type: 'messaging.broker' },
        { name: 'order-subscriber', type: 'messaging.handler', config: { pipeline: 'on-order' } },
      ],
      workflows: {
        messaging: { broker: 'bus', subscriptions: [{ topic: 'order.created', handler: 'order-subscriber' }] },
      },
      pipelines: {
        'create-order': {
          steps: [
            {
              name: 'pub',
              type: 'step.publish',
              config: { topic: 'order.created', payload: { id: '{{ .id }}', kind: 'order' } },
            },
          ],
        },
        'on-order': { steps: [{ name: 'rec', type: 'test.record' }] },
      },
    },
    t,
  );
  const out = await a.executePipeline('create-order', { id: 'o-42' });
  assert.equal(out.published, true);
  assert.equal(out.topic, 'order.created');
  assert.equal(recorder.runs.length, 1);
  assert.equal(recorder.runs[0].pipeline, 'on-order');
  assert.equal(recorder.runs[0].current.id, 'o-42');
  assert.equal(recorder.runs[0].current.topic, 'order.created');
});

test('handlers forward to producer topics and never loop back to their own topic', async (t) => {
  const { app: a } = await app(
    {
      modules: [
        { name: 'bus', type: 'messaging.broker' },
        { name: 'job', type: 'messaging.handler', config: { forwardTo: ['job'] } },
      ],
      workflows: {
        messaging: {
          subscriptions: [{ topic: 'job', handler: 'job' }],
          producers: [{ name: 'job', forwardTo: ['job-events'] }],
        },
      },
    },
    t,
  );
  const broker = a.services.get<InMemoryBroker>('bus')!;
  const forwarded: string[] = [];
  broker.subscribe('job-events', (_t, p) => void forwarded.push(p.toString()));
  await broker.publish('job', 'ran');
  assert.deepEqual(forwarded, ['ran']);
});

test('event trigger filters by event type, merges params and keeps the raw message', async (t) => {
  const { app: a, recorder } = await app(
    {
      modules: [{ name: 'bus', type: 'messaging.broker' }],
      triggers: {
        event: {
          subscriptions: [
            {
              topic: 'orders',
              event: 'order.created',
              workflow: 'pipeline:on-created',
              action: 'execute',
              params: { source: 'event' },
            },
          ],
        },
      },
      pipelines: { 'on-created': { steps: [{ name: 'rec', type: 'test.record' }] } },
    },
    t,
  );
  const broker = a.services.get<InMemoryBroker>('bus')!;
  await broker.publish('orders', { type: 'order.cancelled', id: 1 });
  await broker.publish('orders', { eventType: 'order.created', id: 2 });
  assert.equal(recorder.runs.length, 1);
  const data = recorder.runs[0].current;
  assert.equal(data.id, 2);
  assert.equal(data.source, 'event');
  assert.equal(data.originalMessage, '{"eventType":"order.created","id":2}');
});

test('inline event and eventbus pipeline triggers fire', async (t) => {
  const { app: a, recorder } = await app(
    {
      modules: [
        { name: 'bus', type: 'messaging.broker' },
        { name: 'events', type: 'messaging.broker.eventbus' },
      ],
      pipelines: {
        'from-broker': {
          trigger: { type: 'event', config: { topic: 'in' } },
          steps: [{ name: 'rec', type: 'test.record' }],
        },
        'from-bus': {
          trigger: { type: 'eventbus', config: { topic: 'bus.in', event: 'ping' } },
          steps: [{ name: 'rec', type: 'test.record' }],
        },
        'publish-to-bus': {
          steps: [{ name: 'pub', type: 'step.publish', config: { topic: 'bus.in', broker: 'events' } }],
        },
      },
    },
    t,
  );
  await a.services.get<InMemoryBroker>('bus')!.publish('in', { n: 1 });
  assert.equal(recorder.runs.at(-1)?.pipeline, 'from-broker');
  const next = recorder.next();
  await a.executePipeline('publish-to-bus', { type: 'ping', n: 2 });
  const run = await next;
  assert.equal(run.pipeline, 'from-bus');
  assert.equal(run.current.n, 2);
});

test('config errors name the offending key', async () => {
  const a = new TestApp({
    plugins: [messagingPlugin],
    config: {
      modules: [{ name: 'bus', type: 'messaging.broker' }],
      workflows: { messaging: { subscriptions: [{ topic: 'x', handler: 'missing' }] } },
    },
  });
  await rejectsWithIssue(a.build(), 'workflows.messaging.subscriptions[0].handler', /"missing" is not a module/);
  await a.stop();
  const b = new TestApp({
    plugins: [messagingPlugin],
    config: {
      modules: [{ name: 'bus', type: 'messaging.broker' }],
      triggers: { event: { subscriptions: [{ topic: 't', workflow: 'w' }] } },
    },
  });
  await rejectsWithIssue(b.build(), 'triggers.event.subscriptions[0].action', /"action" is required/);
  await b.stop();
});

test('a handler naming a pipeline that does not exist fails the app start with the name', async () => {
  const app = new TestApp({
    plugins: [messagingPlugin],
    config: { modules: [{ name: 'h', type: 'messaging.handler', config: { pipeline: 'nope' } }] },
  });
  await app.build();
  await assert.rejects(app.start(), /messaging.handler "h": pipeline "nope" is not defined/);
  await app.stop();
});

test('webhook sender retries with exponential backoff, then dead-letters; a dead letter can be retried', async (t) => {
  let failuresLeft = 2;
  const received: string[] = [];
  const server = await serve(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (failuresLeft-- > 0) {
      res.writeHead(503).end();
      return;
    }
    received.push(body);
    res.writeHead(204).end();
  });
  t.after(() => server.close());
  const { app: a } = await app(
    {
      modules: [
        {
          name: 'hook',
          type: 'webhook.sender',
          config: { url: `${server.url}/hook`, maxRetries: 2, initialBackoff: '5ms' },
        },
      ],
    },
    t,
  );
  const sender = a.services.get<WebhookSender>('hook')!;
  const ok = await sender.send({ event: 'a' });
  assert.equal(ok.status, 'delivered');
  assert.equal(ok.attempts, 3);
  assert.deepEqual(received, ['{"event":"a"}']);

  failuresLeft = 10;
  const dead = await sender.send('{"event":"b"}');
  assert.equal(dead.status, 'dead_letter');
  assert.match(dead.lastError!, /status 503/);
  assert.equal(sender.deadLetterList().length, 1);
  failuresLeft = 0;
  const retried = await sender.retryDeadLetter(dead.id);
  assert.equal(retried.status, 'delivered');
  assert.equal(sender.deadLetterList().length, 0);
  await waitFor(() => received.length === 2);

  // subscribed to a topic, it delivers each message to its url
  const broker = new InMemoryBroker('bus', {});
  broker.subscribe('alerts', sender);
  await broker.publish('alerts', { level: 'high' });
  assert.equal(received.at(-1), '{"level":"high"}');
});

test('backoff grows by the multiplier and is capped', () => {
  const policy = { maxRetries: 5, initialBackoffMs: 1000, maxBackoffMs: 5000, multiplier: 2 };
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => backoffDelay(policy, n)),
    [1000, 2000, 4000, 5000],
  );
});
