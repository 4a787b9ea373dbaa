// cache.redis with step.cache_get/set/delete, and nosql.redis with step.nosql_*, against a real
// redis-server (Debian package) on a free port: values land in Redis under the module's prefix with
// their TTL, a second app on the same Redis sees them, and an app whose Redis is down fails to start
// with a message that says where it looked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@redis/client';
import { datastoresPlugin } from '../plugins/datastores/index.ts';
import { httpPlugin } from '../plugins/http/index.ts';
import { modularCompatPlugin } from '../plugins/modularcompat/index.ts';
import { pipelineStepsPlugin } from '../plugins/pipelinesteps/index.ts';
import { storagePlugin } from '../plugins/storage/index.ts';
import { requestJson, startRedisServer, TestApp } from '../plugins/testing/index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin, storagePlugin, datastoresPlugin, modularCompatPlugin];

function appConfig(address: string) {
  return {
    modules: [
      { name: 'server', type: 'http.server', config: { address: '127.0.0.1:0' } },
      { name: 'router', type: 'http.router', dependsOn: ['server'] },
      { name: 'sessions', type: 'cache.redis', config: { address, prefix: 'sess:', defaultTTL: '10m' } },
      { name: 'local', type: 'cache.modular' },
      { name: 'docs', type: 'nosql.redis', config: { addr: address } },
    ],
    pipelines: {
      put: {
        trigger: { type: 'http', config: { method: 'PUT', path: '/cache/{cache}/{key}' } },
        steps: [
          { name: 'parse', type: 'step.request_parse', config: { parse_body: true } },
          {
            name: 'set',
            type: 'step.cache_set',
            config: {
              cache: 'sessions',
              key: '{{ .steps.parse.path_params.key }}',
              value: '{{ .steps.parse.body.v }}',
              ttl: '90s',
            },
          },
          { name: 'also', type: 'step.cache_set', config: { cache: 'local', key: 'k', value: 'in memory' } },
          { name: 'respond', type: 'step.json_response', config: { body_from: 'steps.set' } },
        ],
      },
      get: {
        trigger: { type: 'http', config: { method: 'GET', path: '/cache/{key}' } },
        steps: [
          { name: 'parse', type: 'step.request_parse', config: {} },
          {
            name: 'get',
            type: 'step.cache_get',
            config: { cache: 'sessions', key: '{{ .steps.parse.path_params.key }}' },
          },
          { name: 'respond', type: 'step.json_response', config: { body_from: 'steps.get' } },
        ],
      },
      strictGet: {
        steps: [
          { name: 'get', type: 'step.cache_get', config: { cache: 'sessions', key: '{{ .key }}', miss_ok: false } },
        ],
      },
      del: {
        steps: [{ name: 'del', type: 'step.cache_delete', config: { cache: 'sessions', key: '{{ .key }}' } }],
      },
      localGet: {
        steps: [{ name: 'get', type: 'step.cache_get', config: { cache: 'local', key: 'k', output: 'v' } }],
      },
      docPut: {
        steps: [{ name: 'put', type: 'step.nosql_put', config: { store: 'docs', key: '{{ .id }}', item: 'doc' } }],
      },
      docGet: {
        steps: [{ name: 'get', type: 'step.nosql_get', config: { store: 'docs', key: '{{ .id }}' } }],
      },
      docDelete: {
        steps: [{ name: 'del', type: 'step.nosql_delete', config: { store: 'docs', key: '{{ .id }}' } }],
      },
      docQuery: {
        steps: [{ name: 'q', type: 'step.nosql_query', config: { store: 'docs', prefix: '{{ .prefix }}' } }],
      },
    },
  };
}

test('cache.redis and nosql.redis on a real redis-server: steps, prefixes, TTLs, shared between apps', async (t) => {
  const redis = await startRedisServer();
  // teardown in order: the apps and the probe client first, Redis last (a client whose server goes
  // away first reports "Socket closed unexpectedly")
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  cleanups.push(() => redis.stop());
  const app = new TestApp({ plugins, config: appConfig(redis.address) });
  cleanups.push(() => app.stop());
  await (await app.build()).start();
  const port = app.services.get<{ address(): { port: number } }>('server')!.address().port;
  const base = `http://127.0.0.1:${port}`;

  // cache steps over HTTP
  const put = await requestJson(`${base}/cache/sessions/u1`, { method: 'PUT', body: { v: 'ada' } });
  assert.deepEqual([put.status, put.json], [200, { cached: true }]);
  assert.deepEqual((await requestJson(`${base}/cache/u1`)).json, { value: 'ada', cache_hit: true });
  assert.deepEqual((await requestJson(`${base}/cache/nobody`)).json, { value: '', cache_hit: false });

  // what landed in Redis: the prefix, the step's ttl (90s), never the other cache's value
  const probe = createClient({ url: `redis://${redis.address}` });
  await probe.connect();
  cleanups.push(() => probe.close());
  assert.equal(await probe.get('sess:u1'), 'ada');
  const ttl = await probe.pTTL('sess:u1');
  assert.ok(ttl > 60_000 && ttl <= 90_000, `ttl ${ttl}`);
  assert.deepEqual((await app.executePipeline('localGet')).v, 'in memory', 'cache.modular serves the same steps');
  assert.equal(await probe.get('sess:k'), null);

  await assert.rejects(app.executePipeline('strictGet', { key: 'nobody' }), /cache miss for key "nobody"/);
  assert.equal((await app.executePipeline('del', { key: 'u1' })).deleted, true);
  assert.equal(await probe.get('sess:u1'), null);

  // nosql.redis: documents as JSON under "<module name>:", queried by prefix in key order
  await app.executePipeline('docPut', { id: 'order-2', doc: { total: 20 } });
  await app.executePipeline('docPut', { id: 'order-1', doc: { total: 10, items: ['a'] } });
  await app.executePipeline('docPut', { id: 'user-1', doc: { name: 'ada' } });
  await app.executePipeline('docPut', { id: 'odd*[key]', doc: { glob: true } });
  assert.deepEqual(JSON.parse((await probe.get('docs:order-1'))!), { total: 10, items: ['a'] });
  const got = await app.executePipeline('docGet', { id: 'order-1' });
  assert.deepEqual([got.item, got.found], [{ total: 10, items: ['a'] }, true]);
  const q = await app.executePipeline('docQuery', { prefix: 'order-' });
  assert.deepEqual([q.items, q.count], [[{ total: 10, items: ['a'] }, { total: 20 }], 2]);
  const globSafe = await app.executePipeline('docQuery', { prefix: 'odd*' });
  assert.deepEqual(globSafe.items, [{ glob: true }], 'a prefix is literal, not a Redis glob');
  assert.equal((await app.executePipeline('docDelete', { id: 'order-2' })).deleted, true);
  assert.equal((await app.executePipeline('docDelete', { id: 'order-2' })).deleted, false);

  // a second app on the same Redis sees the same data (what Redis is for)
  const other = new TestApp({ plugins, config: appConfig(redis.address) });
  cleanups.push(() => other.stop());
  await (await other.build()).start();
  assert.equal((await other.executePipeline('docQuery', { prefix: '' })).count, 3);

  // a value that is not a JSON document is reported with its key, not crashed on
  await probe.set('docs:broken', 'not json');
  await assert.rejects(
    other.executePipeline('docGet', { id: 'broken' }),
    /the value at "broken" is not a JSON document/,
  );
});

test('cache.redis and nosql.redis: no Redis at the address fails start with where it looked', async (t) => {
  const redis = await startRedisServer();
  const address = redis.address;
  await redis.stop(); // a port nothing listens on any more
  for (const mod of [
    { name: 'c', type: 'cache.redis', config: { address } },
    { name: 'd', type: 'nosql.redis', config: { addr: address } },
  ]) {
    const app = new TestApp({ plugins, config: { modules: [mod] } });
    t.after(() => app.stop());
    await app.build();
    await assert.rejects(app.start(), (err: Error) => {
      assert.match(err.message, new RegExp(`${mod.type} "${mod.name}": cannot reach Redis at ${address}`));
      assert.match(err.message, /is redis-server running there\?/);
      return true;
    });
  }
});
