// The hello example (`wfctl run examples/hello/workflow.yaml`) answers JSON at / and /healthz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, silentLogger } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';

const config = new URL('../examples/hello/workflow.yaml', import.meta.url).pathname;

test('examples/hello serves JSON at / and /healthz', async () => {
  const engine = await Engine.fromFile(config, {
    plugins: corePlugins,
    logger: silentLogger(),
    httpAddress: '127.0.0.1:0',
  });
  await engine.start();
  try {
    const { port } = engine.address()!;
    const res = await fetch(`http://127.0.0.1:${port}/?name=Ada`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.message, 'Hello, Ada!');
    assert.equal(body.pipeline, 'hello');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'healthy', checks: {} });
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);
    assert.equal(missing.status, 404);
  } finally {
    await engine.stop();
  }
});
