import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpHandler, WorkflowConfig } from '../../engine/index.ts';
import { createRecorder, rejectsWithIssue, requestJson, serveRoutes, startTestApp, TestApp } from '../testing/index.ts';
import { bucket, evaluateFlag, featureFlagsPlugin, type FeatureFlagModule, parseFlag } from './index.ts';

test('targeting: users, groups, percentage rollouts (stable per user), disabled and unknown flags', () => {
  const def = parseFlag({ users: ['vip'], groups: ['beta'], value: 'new-ui' }, 'f');
  assert.deepEqual(evaluateFlag('f', def, { userKey: 'vip' }), {
    enabled: true,
    value: 'new-ui',
    variant: 'new-ui',
    reason: 'target',
  });
  assert.equal(evaluateFlag('f', def, { userKey: 'x', groups: ['beta'] }).reason, 'group');
  assert.deepEqual(evaluateFlag('f', def, { userKey: 'x' }), {
    enabled: false,
    value: false,
    variant: 'false',
    reason: 'not_targeted',
  });
  const half = parseFlag({ percentage: 50 }, 'half');
  const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
  const on = users.filter((u) => evaluateFlag('half', half, { userKey: u }).enabled).length;
  assert.ok(on > 150 && on < 250, `about half the users are in (${on})`);
  assert.equal(evaluateFlag('half', half, { userKey: 'user-7' }).enabled, bucket('half', 'user-7') < 50);
  assert.equal(evaluateFlag('half', half, {}).enabled, false, 'no user, no rollout');
  assert.equal(evaluateFlag('off', parseFlag({ enabled: false, default: 'v1' }, 'off'), {}).value, 'v1');
  assert.deepEqual(evaluateFlag('nope', undefined, {}, true), {
    enabled: true,
    value: true,
    variant: 'true',
    reason: 'not_found',
  });
  assert.equal(evaluateFlag('s', parseFlag('blue', 's'), {}).variant, 'blue');
  assert.throws(() => parseFlag({ percentage: 120 }, 'bad'), /from 0 to 100/);
});

const gateConfig: WorkflowConfig = {
  modules: [
    {
      name: 'flags',
      type: 'featureflag.service',
      config: {
        provider: 'generic',
        cache_ttl: '30s',
        flags: { 'premium-features': { users: ['u1'] }, 'new-algorithm': true },
      },
    },
  ],
  pipelines: {
    gate: {
      steps: [
        {
          name: 'check',
          type: 'step.feature_flag',
          config: { flag: 'new-algorithm', user_from: '{{ .user }}', output_key: 'algorithm_flag' },
        },
        {
          name: 'route',
          type: 'step.ff_gate',
          config: {
            flag: 'premium-features',
            user_from: '{{ .user }}',
            on_enabled: 'premium',
            on_disabled: 'standard',
          },
        },
        { name: 'premium', type: 'test.record', config: {} },
        { name: 'standard', type: 'test.record', config: {} },
      ],
    },
  },
};

test('feature_flag writes its result; ff_gate jumps to on_enabled or on_disabled', async (t) => {
  const recorder = createRecorder();
  const app = await startTestApp({ plugins: [featureFlagsPlugin, recorder.plugin], config: gateConfig });
  t.after(() => app.stop());
  const vip = await app.executePipeline('gate', { user: 'u1' });
  assert.deepEqual(vip.algorithm_flag, { enabled: true, variant: 'true', value: true, reason: 'default' });
  assert.deepEqual([vip.next_step, recorder.runs.map((r) => r.step)], ['premium', ['premium', 'standard']]);
  recorder.runs.length = 0;
  const other = await app.executePipeline('gate', { user: 'u2' });
  assert.deepEqual([other.next_step, recorder.runs.map((r) => r.step)], ['standard', ['standard']]);
});

test('flags changed over HTTP survive a restart when store_path is set', async (t) => {
  const config: WorkflowConfig = {
    modules: [
      { name: 'flags', type: 'featureflag.service', config: { db_path: 'data/flags.db', flags: { dark: false } } },
    ],
  };
  const first = await startTestApp({ plugins: [featureFlagsPlugin], config });
  const h = first.services.get<HttpHandler>('flags')!;
  let server = await serveRoutes({
    'GET /flags': h,
    'GET /flags/{flag}': h,
    'PUT /flags/{flag}': h,
    'DELETE /flags/{flag}': h,
  });
  assert.equal((await requestJson(`${server.url}/flags/dark`)).json.enabled, false);
  assert.equal(
    (await requestJson(`${server.url}/flags/dark`, { method: 'PUT', body: { percentage: 100 } })).status,
    200,
  );
  assert.equal((await requestJson(`${server.url}/flags/dark?user=ann`)).json.enabled, true);
  assert.equal(
    (await requestJson(`${server.url}/flags/dark`, { method: 'PUT', body: { percentage: 'lots' } })).status,
    400,
  );
  await server.close();
  await first.halt();

  const second = await startTestApp({ plugins: [featureFlagsPlugin], config, dataDir: first.dataDir });
  t.after(async () => {
    await second.stop();
    await first.stop();
  });
  const flags = second.services.get<FeatureFlagModule>('flags')!;
  assert.equal(flags.evaluate('dark', { userKey: 'ann' }).enabled, true);
  server = await serveRoutes({ 'GET /flags': flags });
  assert.deepEqual(Object.keys((await requestJson(`${server.url}/flags`)).json.flags), ['dark']);
  await server.close();
});

test('unsupported providers and ff_gate targets outside the pipeline are reported', async () => {
  const app = new TestApp({
    plugins: [featureFlagsPlugin],
    config: { modules: [{ name: 'f', type: 'featureflag.service', config: { provider: 'launchdarkly' } }] },
  });
  await rejectsWithIssue(app.build(), 'modules[0].config.provider', /launchdarkly/);
  await app.stop();
  const problems = featureFlagsPlugin.stepSchemas!['step.ff_gate'].validate!(
    { flag: 'x', on_enabled: 'a', on_disabled: 'zzz' },
    { pipelineStepNames: ['a', 'b'] },
  );
  assert.deepEqual(
    problems.map((p) => p.path),
    [['on_disabled']],
  );
});
