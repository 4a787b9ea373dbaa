import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { HttpHandler, WorkflowConfig } from '../../engine/index.ts';
import { corpusExamples, requestJson, serveRoutes, startTestApp, TestApp, rejectsWithIssue } from '../testing/index.ts';
import { platformPlugin, type PlatformContextModule } from './index.ts';

test('the corpus platform template loads; rendering checks and substitutes parameters', async (t) => {
  const config = parse(
    readFileSync(join(corpusExamples, 'platform-microservice-template.yaml'), 'utf8'),
  ) as WorkflowConfig;
  const app = await startTestApp({ plugins: [platformPlugin], config });
  const ctx = app.services.get<PlatformContextModule>('template-registry')!;
  const h = ctx as HttpHandler;
  const server = await serveRoutes({ 'GET /platform': h, 'POST /platform/{template}': h });
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  const got = await requestJson(`${server.url}/platform`);
  assert.deepEqual(
    [got.json.org, got.json.environment, got.json.tier, got.json.templates[0].name],
    ['acme-corp', 'production', 3, 'microservice'],
  );
  const rendered = await requestJson(`${server.url}/platform/microservice`, {
    method: 'POST',
    body: { app_name: 'orders', image: 'acme/orders:1' },
  });
  assert.equal(rendered.status, 200);
  assert.equal(rendered.json.capabilities[0].name, 'orders');
  assert.equal(rendered.json.capabilities[0].properties.replicas, 3);
  assert.equal(rendered.json.outputs[1].value, 'orders-db.endpoint');
  const bad = await requestJson(`${server.url}/platform/microservice`, {
    method: 'POST',
    body: { app_name: 'Bad_Name', replicas: 'x' },
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json.problems, [
    'parameter "app_name" does not match ^[a-z][a-z0-9-]*$',
    'parameter "image" is required',
    'parameter "replicas" must be an integer, got "x"',
  ]);
});

test('org and environment are required, tier is 1..3', async () => {
  const cases = [
    [{ environment: 'dev' }, 'modules[0].config.org', /"org" is missing/],
    [{ org: 'o', environment: 'e', tier: 7 }, 'modules[0].config.tier', /tier must be 1, 2 or 3/],
  ] as const;
  for (const [config, path, message] of cases) {
    const app = new TestApp({
      plugins: [platformPlugin],
      config: { modules: [{ name: 'p', type: 'platform.context', config }] },
    });
    await rejectsWithIssue(app.build(), path, message);
    await app.stop();
  }
});
