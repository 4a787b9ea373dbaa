import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ConfigValueError, ValidationError, type WorkflowConfig } from '../../engine/index.ts';
import { createRecorder, startTestApp, TestApp, rejectsWithIssue, waitFor } from '../testing/index.ts';
import { messagingPlugin } from '../messaging/index.ts';
import { storagePlugin } from '../storage/index.ts';
import { parseDefinitions, statemachinePlugin, type StateMachineEngine, type StateTracker } from './index.ts';

const orderDefinition = {
  name: 'order-workflow',
  initialState: 'new',
  states: { new: {}, paid: {}, shipped: { isFinal: true }, cancelled: { isFinal: true, isError: true } },
  transitions: {
    pay: { fromState: 'new', toState: 'paid' },
    ship: { fromState: 'paid', toState: 'shipped' },
    cancel: { fromState: 'new', toState: 'cancelled' },
  },
};

function config(extra: Partial<WorkflowConfig> = {}, engineConfig: Record<string, unknown> = {}): WorkflowConfig {
  return {
    modules: [
      { name: 'orders-sm', type: 'statemachine.engine', config: engineConfig },
      { name: 'tracker', type: 'state.tracker' },
      { name: 'connector', type: 'state.connector' },
      ...(extra.modules ?? []),
    ],
    workflows: {
      statemachine: {
        engine: 'orders-sm',
        definitions: [orderDefinition],
        ...((extra.workflows?.statemachine as object) ?? {}),
      },
    },
    pipelines: extra.pipelines,
  };
}

async function start(
  t: { after(fn: () => Promise<void>): void },
  cfg: WorkflowConfig,
  dataDir?: string,
  configDir?: string,
) {
  const recorder = createRecorder();
  const app = await startTestApp({
    plugins: [statemachinePlugin, messagingPlugin, storagePlugin, recorder.plugin],
    config: cfg,
    dataDir,
    configDir,
  });
  t.after(() => app.stop());
  return { app, recorder, engine: app.services.get<StateMachineEngine>('orders-sm')! };
}

test('definitions are checked: initial state and transition targets must be states', () => {
  assert.throws(
    () => parseDefinitions([{ name: 'x', initialState: 'a', states: { b: {} } }]),
    (err: ConfigValueError) => {
      assert.deepEqual(err.path, ['definitions', 0, 'initialState']);
      return true;
    },
  );
  assert.throws(
    () =>
      parseDefinitions([
        { name: 'x', initialState: 'a', states: { a: {} }, transitions: { go: { fromState: 'a', toState: 'z' } } },
      ]),
    (err: ConfigValueError) => {
      assert.deepEqual(err.path, ['definitions', 0, 'transitions', 'go', 'toState']);
      assert.match(err.message, /"z" is not a state/);
      return true;
    },
  );
  assert.throws(() => parseDefinitions([orderDefinition, orderDefinition]), /duplicate state machine definition/);
});

test('workflow handler creates, transitions and reports invalid transitions as client errors', async (t) => {
  const { app, engine } = await start(t, config());
  const created = await app.triggerWorkflow('statemachine', 'orders-sm:', {
    instanceId: 'o-1',
    workflowName: 'order-workflow',
  });
  assert.deepEqual([created.created, created.currentState], [true, 'new']);
  const paid = await app.triggerWorkflow('statemachine', 'orders-sm:pay', { id: 'o-1', amount: 10 });
  assert.deepEqual([paid.currentState, paid.previousState, paid.success], ['paid', 'new', true]);
  assert.equal(engine.getInstance('o-1')!.data.amount, 10);
  await assert.rejects(app.triggerWorkflow('statemachine', 'cancel', { instanceId: 'o-1' }), (err: ValidationError) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.status, 409);
    assert.match(err.message, /from state "paid", expected "new"/);
    return true;
  });
  await assert.rejects(
    app.triggerWorkflow('statemachine', 'pay', { instanceId: 'nope' }),
    (err: ValidationError) => err.status === 404,
  );
  const shipped = await app.triggerWorkflow('statemachine', 'ship', { instanceId: 'o-1' });
  assert.equal(shipped.currentState, 'shipped');
  assert.equal(engine.getInstance('o-1')!.completed, true);
  assert.equal(app.services.get<StateTracker>('tracker')!.getState('order_workflow', 'o-1')?.currentState, 'shipped');
});

test('hooks run message handlers per matching transition; a failing hook rolls the transition back', async (t) => {
  const { recorder, engine } = await start(
    t,
    config({
      modules: [
        { name: 'on-paid', type: 'messaging.handler', config: { pipeline: 'paid-hook' } },
        { name: 'on-ship', type: 'messaging.handler', config: { pipeline: 'failing-hook' } },
      ],
      workflows: {
        statemachine: {
          hooks: [
            { workflowType: 'order-workflow', toStates: ['paid'], handler: 'on-paid' },
            { transitions: ['ship'], handler: 'on-ship' },
          ],
        },
      },
      pipelines: {
        'paid-hook': { steps: [{ name: 'rec', type: 'test.record' }] },
        'failing-hook': { steps: [{ name: 'boom', type: 'test.fail', config: { message: 'warehouse offline' } }] },
      },
    }),
  );
  engine.createInstance('order-workflow', 'o-2');
  await engine.triggerTransition('o-2', 'pay');
  assert.equal(recorder.runs.length, 1);
  assert.deepEqual([recorder.runs[0].current.instanceId, recorder.runs[0].current.toState], ['o-2', 'paid']);
  await assert.rejects(engine.triggerTransition('o-2', 'ship'), /rolled back: step "boom" failed: warehouse offline/);
  assert.equal(engine.getInstance('o-2')!.currentState, 'paid');
});

test('concurrent transitions on one instance are applied one at a time', async (t) => {
  const { engine } = await start(t, config());
  engine.createInstance('order-workflow', 'o-3');
  const results = await Promise.allSettled([
    engine.triggerTransition('o-3', 'pay'),
    engine.triggerTransition('o-3', 'pay'),
  ]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal(engine.getInstance('o-3')!.currentState, 'paid');
});

test('transition and get steps, with create-on-first-use and fail_on_error', async (t) => {
  const { app } = await start(
    t,
    config({
      pipelines: {
        pay: {
          steps: [
            {
              name: 'pay',
              type: 'step.statemachine_transition',
              config: {
                statemachine: 'orders-sm',
                entity_id: '{{ .id }}',
                event: 'pay',
                workflow_type: 'order-workflow',
                data: { by: '{{ .user }}' },
              },
            },
            { name: 'read', type: 'step.statemachine_get', config: { engine: 'orders-sm', instanceId: '{{ .id }}' } },
          ],
        },
        'cancel-soft': {
          steps: [
            {
              name: 'c',
              type: 'step.statemachine_transition',
              config: { engine: 'orders-sm', instanceId: '{{ .id }}', transition: 'cancel' },
            },
          ],
        },
        'cancel-hard': {
          steps: [
            {
              name: 'c',
              type: 'step.statemachine_transition',
              config: { engine: 'orders-sm', instanceId: '{{ .id }}', transition: 'cancel', fail_on_error: true },
            },
          ],
        },
      },
    }),
  );
  const out = await app.executePipeline('pay', { id: 'o-4', user: 'ann' });
  assert.equal(out.transition_ok, true);
  assert.equal(out.new_state, 'paid');
  assert.equal(out.current_state, 'paid');
  assert.equal((out.data as { by: string }).by, 'ann');
  const soft = await app.executePipeline('cancel-soft', { id: 'o-4' });
  assert.deepEqual([soft.transition_ok, soft.current_state], [false, 'paid']);
  assert.match(String(soft.error), /expected "new"/);
  await assert.rejects(app.executePipeline('cancel-hard', { id: 'o-4' }), /transition failed/);
});

test('instances and their state survive a restart through persistence.store', async (t) => {
  const persisted = (modules: WorkflowConfig['modules'] = []) =>
    config({
      modules: [
        { name: 'db', type: 'database.workflow', config: { driver: 'sqlite', dsn: 'sm.db' } },
        { name: 'persistence', type: 'persistence.store', config: { database: 'db' } },
        ...modules,
      ],
    });
  const first = new TestApp({ plugins: [statemachinePlugin, storagePlugin], config: persisted() });
  await first.build();
  await first.start();
  const engine = first.services.get<StateMachineEngine>('orders-sm')!;
  engine.createInstance('order-workflow', 'o-5', { item: 'lamp' });
  await engine.triggerTransition('o-5', 'pay', { paidBy: 'card' });
  await first.halt();

  const { engine: again } = await start(t, persisted(), first.dataDir);
  t.after(() => first.stop());
  const restored = again.getInstance('o-5')!;
  assert.deepEqual(
    [restored.currentState, restored.previousState, restored.data.item, restored.data.paidBy],
    ['paid', 'new', 'lamp', 'card'],
  );
  await again.triggerTransition('o-5', 'ship');
  assert.equal(again.getInstance('o-5')!.completed, true);
});

test('an engine with a database module persists its instances without a persistence.store', async (t) => {
  const cfg = config(
    { modules: [{ name: 'db', type: 'storage.sqlite', config: { dbPath: 'sm.db' } }] },
    { database: 'db' },
  );
  const first = new TestApp({ plugins: [statemachinePlugin, storagePlugin], config: cfg });
  await first.build();
  await first.start();
  const engine = first.services.get<StateMachineEngine>('orders-sm')!;
  engine.createInstance('order-workflow', 'o-6');
  await engine.triggerTransition('o-6', 'pay');
  await first.halt();
  const { engine: again } = await start(t, cfg, first.dataDir, first.configDir);
  t.after(() => first.stop());
  assert.equal(again.getInstance('o-6')!.currentState, 'paid');
});

test('maxInstances bounds live instances and instanceTTL expires idle ones', async (t) => {
  const { engine } = await start(t, config({}, { maxInstances: 2, instanceTTL: '40ms' }));
  engine.createInstance('order-workflow', 'a');
  engine.createInstance('order-workflow', 'b');
  assert.throws(() => engine.createInstance('order-workflow', 'c'), /maxInstances \(2\)/);
  await waitFor(() => engine.getInstance('a') === undefined, 30_000, 'the idle instance to expire');
  engine.createInstance('order-workflow', 'c');
});

test('hooks naming a missing module are a config error at load', async () => {
  const app = new TestApp({
    plugins: [statemachinePlugin],
    config: config({ workflows: { statemachine: { hooks: [{ handler: 'ghost' }] } } }),
  });
  await rejectsWithIssue(
    app.build(),
    'workflows.statemachine.hooks[0].handler',
    /handler "ghost" is not a module of this app/,
  );
  await app.stop();
});
