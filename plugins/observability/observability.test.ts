import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, silentLogger, type EnginePlugin, type HealthCheckable } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { observabilityPlugin } from './index.ts';

// a module whose health the test controls
let dbHealthy = true;
const probePlugin: EnginePlugin = {
  manifest: { name: 'probe-test', version: '1.0.0', description: 'test', tier: 'core' },
  modules: {
    'test.db': (spec) =>
      ({
        name: spec.name,
        type: spec.type,
        async healthCheck() {
          return dbHealthy ? { status: 'healthy' } : { status: 'unhealthy', message: 'connection refused' };
        },
      }) as HealthCheckable & { name: string; type: string },
  },
};

const yaml = `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: db, type: test.db }
  - { name: health, type: health.checker }
  - { name: metrics, type: metrics.collector, config: { namespace: shop, collectDefaultMetrics: false } }
  - { name: logs, type: log.collector }
pipelines:
  order:
    trigger: { type: http, config: { method: GET, path: "/orders/{id}" } }
    steps:
      - { name: respond, type: step.json_response, config: { body: { id: '{{ .id }}' } } }
  broken:
    trigger: { type: http, config: { method: GET, path: /broken } }
    steps:
      - { name: fail, type: step.validate, config: { required_fields: [nope] } }
`;

test('health, readiness and liveness follow the checks; metrics and logs record workflow, HTTP activity', async () => {
  const engine = await Engine.fromText(yaml, {
    plugins: [httpPlugin, pipelineStepsPlugin, observabilityPlugin, probePlugin],
    logger: silentLogger(),
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), {
      status: 'healthy',
      checks: { db: { status: 'healthy' } },
    });
    assert.deepEqual(await (await fetch(`${url}/readyz`)).json(), { status: 'ready' });
    dbHealthy = false;
    const sick = await fetch(`${url}/healthz`);
    assert.equal(sick.status, 503);
    assert.deepEqual(await sick.json(), {
      status: 'unhealthy',
      checks: { db: { status: 'unhealthy', message: 'connection refused' } },
    });
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
    assert.deepEqual(await (await fetch(`${url}/livez`)).json(), { status: 'alive' });
    dbHealthy = true;

    await fetch(`${url}/orders/1`);
    await fetch(`${url}/orders/2`);
    await fetch(`${url}/broken`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(
      metrics,
      /shop_workflow_executions_total\{workflow_type="pipeline:order",action="execute",status="success"\} 2/,
    );
    assert.match(
      metrics,
      /shop_workflow_executions_total\{workflow_type="pipeline:broken",action="execute",status="error"\} 1/,
    );
    assert.match(
      metrics,
      /shop_http_requests_total\{method="GET",path="\/orders\/\{id\}",status_code="200"\} 2/,
      'labelled by route pattern, not raw path',
    );
    assert.match(metrics, /shop_http_request_duration_seconds_bucket/);
    const logs = (await (await fetch(`${url}/logs?limit=2`)).json()) as {
      entries: Array<{ event: string; workflowType: string; level: string }>;
    };
    assert.deepEqual(
      logs.entries.map((e) => `${e.event} ${e.workflowType} ${e.level}`),
      ['workflow.completed pipeline:order info', 'workflow.failed pipeline:broken error'],
    );
  } finally {
    await engine.stop();
  }
});
