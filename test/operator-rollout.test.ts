// The user's path end to end, on devcluster with real kubectl and real engine pods: apply an example
// WorkflowApp, wait for Ready, call the app at status.endpoint; change its config and see a rolling
// update with no failed request; scale it; break its config and see ConfigValid=False while the old
// version keeps serving; delete it and see everything garbage-collected. Then the blue-green and
// canary flows, and the rollback of a version that never gets Ready.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { condition, eventually, repoRoot, startHarness, type Harness } from './operator-harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness({ pods: 'engine' });
  await h.startOperator({ resyncMs: 60_000 });
});
after(async () => {
  await h?.stop();
});

const example = (file: string) => readFileSync(`${repoRoot}examples/${file}`, 'utf8');

async function waitReady(name: string, timeout = '180s'): Promise<any> {
  await h.kubectl('wait', `--for=condition=Ready`, `--timeout=${timeout}`, `wfa/${name}`);
  return h.json('get', 'wfa', name);
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Calls `url` back to back until stopped; counts answers by `field` and every failure. */
function traffic(url: string, field: string) {
  const seen = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const body = await getJson(url);
        const v = String(body[field]);
        seen.set(v, (seen.get(v) ?? 0) + 1);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  })();
  return {
    seen,
    failures,
    async stop() {
      running = false;
      await loop;
    },
  };
}

test('greeter: apply, Ready, call it, roll a config change with no failed request, scale, break, delete', {
  timeout: 420_000,
}, async () => {
  const manifest = example('greeter.workflowapp.yaml');
  await h.apply(manifest);
  let app = await waitReady('greeter');
  assert.equal(app.status.phase, 'Running');
  assert.equal(app.status.readyReplicas, 2);
  const endpoint: string = app.status.endpoint;
  assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/, 'the LoadBalancer address');
  assert.deepEqual(await getJson(`${endpoint}/?name=Ada`), { message: 'Hello, Ada!', version: 'v1' });

  const load = traffic(`${endpoint}/`, 'version');
  await h.apply(manifest.replace('version: v1', 'version: v2'));
  app = await eventually(
    'generation 2 Ready',
    async () => {
      const a = await h.json('get', 'wfa', 'greeter');
      return condition(a, 'Ready')?.status === 'True' && condition(a, 'Ready').observedGeneration === 2 && a;
    },
    180_000,
    250,
  );
  await eventually('v2 answers', async () => load.seen.has('v2'), 30_000);
  await load.stop();
  assert.deepEqual(load.failures, [], 'no failed request during the rolling update');
  assert.ok((load.seen.get('v1') ?? 0) > 0 && (load.seen.get('v2') ?? 0) > 0, JSON.stringify([...load.seen]));

  await h.kubectl('scale', 'wfa/greeter', '--replicas=3');
  await eventually(
    '3 ready replicas',
    async () => (await h.json('get', 'wfa', 'greeter')).status?.readyReplicas === 3,
    120_000,
    250,
  );

  const serving = traffic(`${endpoint}/`, 'version');
  await h.apply(manifest.replace('version: v1', 'version: v3').replace('type: http.router', 'type: http.routr'));
  app = await eventually('ConfigValid=False', async () => {
    const a = await h.json('get', 'wfa', 'greeter');
    return (
      condition(a, 'ConfigValid')?.status === 'False' &&
      condition(a, 'ConfigValid').observedGeneration === a.metadata.generation &&
      a
    );
  });
  assert.match(condition(app, 'ConfigValid').message, /spec\.config:\d+:\d+: error: unknown module type "http\.routr"/);
  const served = () => [...serving.seen.values()].reduce((n, c) => n + c, 0) + serving.failures.length;
  const servedBefore = served();
  await eventually('50 requests after the broken config was refused', async () => served() >= servedBefore + 50);
  await serving.stop();
  assert.deepEqual(serving.failures, [], 'the old version keeps serving');
  assert.deepEqual([...serving.seen.keys()], ['v2']);

  await h.kubectl('delete', 'wfa', 'greeter');
  await eventually(
    'everything gone',
    async () => {
      const left = await h.kubectl(
        'get',
        'deploy,rs,pods,svc,cm',
        '-l',
        'app.kubernetes.io/instance=greeter',
        '-o',
        'name',
      );
      return left.trim() === '';
    },
    120_000,
    500,
  );
  await assert.rejects(getJson(`${endpoint}/`), 'the load balancer is gone');
});

test('blue-green: the new color runs beside the old, traffic switches when Ready, the old color goes', {
  timeout: 420_000,
}, async () => {
  const manifest = example('checkout-bluegreen.workflowapp.yaml');
  await h.apply(manifest);
  const app = await waitReady('checkout');
  const endpoint: string = app.status.endpoint;
  assert.equal((await getJson(`${endpoint}/quote`)).version, 'blue-green-v1');
  const load = traffic(`${endpoint}/quote`, 'version');
  await h.apply(manifest.replace('blue-green-v1', 'blue-green-v2'));
  await eventually(
    'green running beside blue',
    async () => {
      const names = (await h.kubectl('get', 'deploy', '-l', 'app.kubernetes.io/instance=checkout', '-o', 'name'))
        .trim()
        .split('\n');
      return names.length === 2;
    },
    60_000,
    250,
  );
  // the operator applies the green Deployment before the preview Service: wait for the Service too
  await eventually(
    'the preview Service selects green',
    async () => {
      const preview = await h.json('get', 'service', 'checkout-preview').catch(() => undefined);
      return preview?.spec.selector['workflow.gocodealone.com/track'] === 'green';
    },
    60_000,
    250,
  );
  await eventually(
    'generation 2 Ready on green',
    async () => {
      const a = await h.json('get', 'wfa', 'checkout');
      return (
        condition(a, 'Ready')?.status === 'True' &&
        condition(a, 'Ready').observedGeneration === 2 &&
        a.status.rollout?.activeColor === 'green'
      );
    },
    180_000,
    250,
  );
  await eventually(
    'blue removed',
    async () =>
      (await h.kubectl('get', 'deploy', '-l', 'app.kubernetes.io/instance=checkout', '-o', 'name')).trim() ===
      'deployment.apps/checkout-green',
    60_000,
    250,
  );
  await load.stop();
  assert.deepEqual(load.failures, [], 'no failed request across the switch');
  assert.ok(load.seen.has('blue-green-v2'));
  const events = await h.kubectl(
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=checkout,involvedObject.kind=WorkflowApp',
  );
  for (const reason of ['RolloutStarted', 'TrafficSwitched', 'RolloutPromoted'])
    assert.match(events, new RegExp(reason));

  // A version that never gets Ready (an image the node cannot run) is rolled back, never served.
  await h.apply(
    manifest
      .replace('blue-green-v1', 'blue-green-v2')
      .replace('progressDeadlineSeconds: 120', 'progressDeadlineSeconds: 3')
      .replace('spec:\n', 'spec:\n  image: workflow-engine-missing:1.0.0\n'),
  );
  const rolledBack = await eventually(
    'rolled back',
    async () => {
      const a = await h.json('get', 'wfa', 'checkout');
      return condition(a, 'Degraded')?.status === 'True' && a;
    },
    120_000,
    250,
  );
  assert.equal(condition(rolledBack, 'Ready').reason, 'RolledBack');
  assert.equal(rolledBack.status.rollout.abortedRevision, rolledBack.status.revision);
  await eventually(
    'only green left',
    async () =>
      (await h.kubectl('get', 'deploy', '-l', 'app.kubernetes.io/instance=checkout', '-o', 'name')).trim() ===
      'deployment.apps/checkout-green',
    60_000,
    250,
  );
  assert.equal((await getJson(`${endpoint}/quote`)).version, 'blue-green-v2', 'the old version still serves');
  await h.kubectl('delete', 'wfa', 'checkout');
});

test('canary: steps shift pods to the new version, then promote it; a failing canary is rolled back', {
  timeout: 420_000,
}, async () => {
  const manifest = example('orders-canary.workflowapp.yaml')
    .replace('replicas: 4', 'replicas: 2')
    .replaceAll('pauseSeconds: 30', 'pauseSeconds: 1');
  await h.apply(manifest);
  const app = await waitReady('orders');
  const endpoint: string = app.status.endpoint;
  const load = traffic(`${endpoint}/orders`, 'version');
  await h.apply(manifest.replace('version: v1', 'version: v2'));
  const weights = new Set<number>();
  await eventually(
    'generation 2 promoted and Ready',
    async () => {
      const a = await h.json('get', 'wfa', 'orders');
      if (a.status?.rollout?.canaryWeight) weights.add(a.status.rollout.canaryWeight);
      return condition(a, 'Ready')?.status === 'True' && condition(a, 'Ready').observedGeneration === 2;
    },
    240_000,
    200,
  );
  await eventually(
    'canary removed',
    async () =>
      (await h.kubectl('get', 'deploy', '-l', 'app.kubernetes.io/instance=orders', '-o', 'name')).trim() ===
      'deployment.apps/orders',
    60_000,
    250,
  );
  await load.stop();
  assert.deepEqual(load.failures, [], 'no failed request during the canary');
  assert.ok(
    load.seen.has('v1') && load.seen.has('v2'),
    `both versions answered during the rollout: ${JSON.stringify([...load.seen])}`,
  );
  assert.ok(
    [...weights].some((w) => w > 0 && w < 100),
    `an intermediate weight was reported: ${[...weights]}`,
  );
  const events = await h.kubectl(
    'get',
    'events',
    '--field-selector',
    'involvedObject.name=orders,involvedObject.kind=WorkflowApp',
  );
  assert.match(events, /CanaryStepPassed/);
  assert.match(events, /RolloutPromoted/);

  // A canary that never gets Ready is rolled back: the stable version keeps (all) the traffic.
  const after = traffic(`${endpoint}/orders`, 'version');
  await h.apply(
    manifest
      .replace('version: v1', 'version: v3')
      .replace('progressDeadlineSeconds: 120', 'progressDeadlineSeconds: 3')
      .replace('spec:\n', 'spec:\n  image: workflow-engine-missing:1.0.0\n'),
  );
  const rolledBack = await eventually(
    'canary rolled back',
    async () => {
      const a = await h.json('get', 'wfa', 'orders');
      return condition(a, 'Degraded')?.status === 'True' && a;
    },
    120_000,
    250,
  );
  assert.equal(condition(rolledBack, 'Ready').reason, 'RolledBack');
  await eventually(
    'canary removed, stable at full size',
    async () => {
      const names = (await h.kubectl('get', 'deploy', '-l', 'app.kubernetes.io/instance=orders', '-o', 'name')).trim();
      return (
        names === 'deployment.apps/orders' &&
        (await h.json('get', 'deployment', 'orders')).status?.availableReplicas === 2
      );
    },
    60_000,
    250,
  );
  await after.stop();
  assert.deepEqual(after.failures, [], 'no failed request while the canary failed');
  assert.deepEqual([...after.seen.keys()], ['v2'], 'only the stable version answered');
  await h.kubectl('delete', 'wfa', 'orders');
});
