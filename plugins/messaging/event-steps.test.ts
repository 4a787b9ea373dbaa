// step.event_publish, step.dlq_send and step.dlq_replay over the in-memory broker and the engine event
// bus (the NATS-backed run is in test/nats-backed.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowConfig } from '../../engine/index.ts';
import { createRecorder, rejectsWithIssue, startTestApp, TestApp } from '../testing/index.ts';
import { type InMemoryBroker, messagingPlugin } from './index.ts';
import { deadLetters } from './dlq-steps.ts';
import { envelope } from './event-publish-step.ts';

async function app(config: WorkflowConfig, t: { after(fn: () => Promise<void>): void }) {
  const recorder = createRecorder();
  const a = await startTestApp({ plugins: [messagingPlugin, recorder.plugin], config });
  t.after(() => a.stop());
  return { app: a, recorder };
}

function capture(a: TestApp, broker: string, topic: string): unknown[] {
  const got: unknown[] = [];
  a.services.get<InMemoryBroker>(broker)!.subscribe(topic, (_t, p) => void got.push(JSON.parse(p.toString())));
  return got;
}

test('event_publish wraps a CloudEvents envelope when event_type and source are set', async (t) => {
  const { app: a } = await app(
    {
      modules: [{ name: 'bus', type: 'messaging.broker' }],
      pipelines: {
        emit: {
          steps: [
            {
              name: 'pub',
              type: 'step.event_publish',
              config: {
                stream: 'orders.{{ .kind }}',
                data: { id: '{{ .id }}' },
                headers: { 'x-tenant': '{{ .tenant }}' },
                event_type: 'order.created',
                source: '/orders/{{ .tenant }}',
                provider: 'bus',
              },
            },
          ],
        },
        plain: {
          steps: [{ name: 'pub', type: 'step.event_publish', config: { topic: 'raw', broker: 'bus' } }],
        },
      },
    },
    t,
  );
  const events = capture(a, 'bus', 'orders.new');
  const out = await a.executePipeline('emit', { id: 'o-1', kind: 'new', tenant: 'acme' });
  assert.deepEqual([out.published, out.topic], [true, 'orders.new']);
  assert.equal(events.length, 1);
  const e = events[0] as Record<string, unknown>;
  assert.deepEqual(
    [e.specversion, e.type, e.source, e.data, e.headers],
    ['1.0', 'order.created', '/orders/acme', { id: 'o-1' }, { 'x-tenant': 'acme' }],
  );
  assert.match(String(e.id), /^[0-9a-f-]{36}$/);
  assert.match(String(e.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  // without type/source/headers the broker gets the payload itself (default: all of Current)
  const raw = capture(a, 'bus', 'raw');
  await a.executePipeline('plain', { n: 1 });
  assert.deepEqual(raw, [{ n: 1 }]);
});

test('envelope: headers alone give {data, headers}; type without source adds no CloudEvents attributes', () => {
  assert.deepEqual(envelope({ a: 1 }, { h: 'v' }, '', ''), { data: { a: 1 }, headers: { h: 'v' } });
  assert.deepEqual(envelope({ a: 1 }, {}, 'only.type', ''), { data: { a: 1 } });
  assert.deepEqual(envelope({ a: 1 }, {}, '', ''), { a: 1 });
});

test('event_publish without a broker goes to the engine event bus (eventbus triggers)', async (t) => {
  const { app: a, recorder } = await app(
    {
      modules: [{ name: 'bus', type: 'messaging.broker' }],
      pipelines: {
        emit: {
          steps: [
            {
              name: 'pub',
              type: 'step.event_publish',
              config: { topic: 'audit', payload: { type: 'login', user: '{{ .user }}' }, event_type: 't', source: 's' },
            },
          ],
        },
        'on-audit': {
          trigger: { type: 'eventbus', config: { topic: 'audit' } },
          steps: [{ name: 'rec', type: 'test.record' }],
        },
      },
    },
    t,
  );
  const onBroker = capture(a, 'bus', 'audit');
  const next = recorder.next();
  await a.executePipeline('emit', { user: 'ann' });
  const run = await next;
  // the event bus gets the bare payload, as upstream's EventBus path
  assert.deepEqual([run.pipeline, run.current.user, run.current.specversion], ['on-audit', 'ann', undefined]);
  assert.deepEqual(onBroker, [], 'no broker named: the first broker is not used');
});

test('dlq_send dead-letters with error metadata; dlq_replay republishes the original payloads', async (t) => {
  const { app: a, recorder } = await app(
    {
      modules: [{ name: 'bus', type: 'messaging.broker' }],
      pipelines: {
        fail: {
          steps: [
            {
              name: 'dead',
              type: 'step.dlq_send',
              config: {
                topic: 'orders.dlq',
                original_topic: 'orders',
                error: 'rejected {{ .id }}',
                payload: { id: '{{ .id }}' },
                broker: 'bus',
              },
            },
          ],
        },
        replay: {
          trigger: { type: 'event', config: { topic: 'orders.dlq', broker: 'bus' } },
          steps: [
            {
              name: 'again',
              type: 'step.dlq_replay',
              config: { dlq_topic: 'orders.dlq', target_topic: '{{ .original_topic }}', broker: 'bus' },
            },
            { name: 'rec', type: 'test.record' },
          ],
        },
      },
    },
    t,
  );
  const dlq = capture(a, 'bus', 'orders.dlq');
  const replayed = capture(a, 'bus', 'orders');
  const out = await a.executePipeline('fail', { id: 'o-9' });
  assert.deepEqual([out.dlq_sent, out.topic], [true, 'orders.dlq']);
  const letter = dlq[0] as Record<string, unknown>;
  assert.deepEqual([letter.payload, letter.original_topic, letter.error], [{ id: 'o-9' }, 'orders', 'rejected o-9']);
  assert.match(String(letter.sent_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // the event trigger ran the replay pipeline with the dead letter
  assert.deepEqual(replayed, [{ id: 'o-9' }]);
  const run = recorder.runs.find((r) => r.pipeline === 'replay')!;
  assert.deepEqual(
    [run.current.replayed, run.current.target_topic, run.current.dlq_topic],
    [1, 'orders', 'orders.dlq'],
  );
});

test('dlq_replay takes a batch, honours max_messages, and replays nothing from an empty batch', async (t) => {
  const { app: a } = await app(
    {
      modules: [{ name: 'bus', type: 'messaging.broker' }],
      pipelines: {
        replay: {
          steps: [
            {
              name: 'r',
              type: 'step.dlq_replay',
              config: { dlq_topic: 'd', target_topic: 'out', max_messages: 2, broker: 'bus' },
            },
          ],
        },
      },
    },
    t,
  );
  const out = capture(a, 'bus', 'out');
  const res = await a.executePipeline('replay', { messages: [{ payload: { n: 1 } }, { n: 2 }, { payload: { n: 3 } }] });
  assert.deepEqual([res.replayed, out], [2, [{ n: 1 }, { n: 2 }]]);
  assert.deepEqual(deadLetters({ messages: [] }), []);
  const none = await a.executePipeline('replay', { messages: [] });
  assert.deepEqual([none.replayed, none.target_topic, none.dlq_topic], [0, 'out', undefined]);
});

test('bad config is refused with the key: missing topics, a non-map payload, encryption', async () => {
  const cases: Array<[Record<string, unknown>, string, string, RegExp]> = [
    [{ type: 'step.event_publish', config: {} }, 'step.event_publish', 'config.topic', /"topic" is missing/],
    [{ type: 'step.event_publish', config: { topic: 't', payload: 'x' } }, '', 'config.payload', /must be a map/],
    [
      { type: 'step.event_publish', config: { topic: 't', broker: 'b', encryption: { key_id: 'k', fields: ['a'] } } },
      '',
      'config.encryption',
      /not supported/,
    ],
    [{ type: 'step.dlq_send', config: {} }, '', 'config.topic', /"topic" is missing/],
    [{ type: 'step.dlq_replay', config: { dlq_topic: 'd' } }, '', 'config.target_topic', /"target_topic" is missing/],
  ];
  for (const [step, , path, message] of cases) {
    const a = new TestApp({
      plugins: [messagingPlugin],
      config: { pipelines: { p: { steps: [{ name: 's', ...step } as never] } } },
    });
    await rejectsWithIssue(a.build(), `pipelines.p.steps[0].${path}`, message);
    await a.stop();
  }
});
