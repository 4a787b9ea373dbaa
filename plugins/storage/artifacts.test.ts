// storage.artifact with step.artifact_* over real HTTP, and storage.local: keys never leave the
// store's directory, a missing artifact is a 404, an oversize one a 413, a restart keeps everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { TestApp } from '../testing/index.ts';
import { storagePlugin, FileStorageCap } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin, storagePlugin];

const config = {
  modules: [
    { name: 'server', type: 'http.server', config: { address: '127.0.0.1:0' } },
    { name: 'router', type: 'http.router', dependsOn: ['server'] },
    { name: 'artifacts', type: 'storage.artifact', config: { basePath: 'store', maxSize: 64 } },
    { name: 'files', type: 'storage.local', config: { rootDir: 'files' } },
  ],
  pipelines: {
    upload: {
      trigger: { type: 'http', config: { method: 'PUT', path: '/a/{key...}' } },
      steps: [
        { name: 'parse', type: 'step.request_parse', config: { parse_body: true, merge_body: true } },
        {
          name: 'up',
          type: 'step.artifact_upload',
          config: {
            store: 'artifacts',
            key: '{{ .steps.parse.path_params.key }}',
            content_from: 'content',
            content_encoding: 'base64',
            metadata: { owner: '{{ .owner }}' },
          },
        },
        { name: 'respond', type: 'step.json_response', config: { status: 201, body_from: 'steps.up' } },
      ],
    },
    download: {
      trigger: { type: 'http', config: { method: 'GET', path: '/a/{key...}' } },
      steps: [
        { name: 'parse', type: 'step.request_parse', config: {} },
        {
          name: 'down',
          type: 'step.artifact_download',
          config: { store: 'artifacts', key: '{{ .steps.parse.path_params.key }}', content_encoding: 'text' },
        },
        { name: 'respond', type: 'step.json_response', config: { body_from: 'steps.down' } },
      ],
    },
    list: {
      trigger: { type: 'http', config: { method: 'GET', path: '/list' } },
      steps: [
        { name: 'ls', type: 'step.artifact_list', config: { store: 'artifacts', prefix: '{{ .prefix }}' } },
        { name: 'respond', type: 'step.json_response', config: { body_from: 'steps.ls' } },
      ],
    },
    remove: {
      trigger: { type: 'http', config: { method: 'DELETE', path: '/a/{key...}' } },
      steps: [
        { name: 'parse', type: 'step.request_parse', config: {} },
        {
          name: 'rm',
          type: 'step.artifact_delete',
          config: { store: 'artifacts', key: '{{ .steps.parse.path_params.key }}' },
        },
        { name: 'respond', type: 'step.json_response', config: { body_from: 'steps.rm' } },
      ],
    },
  },
};

test('artifacts: upload, list by prefix, download, delete over HTTP; bad keys, missing and oversize', async (t) => {
  const app = new TestApp({ plugins, config });
  t.after(() => app.stop());
  await (await app.build()).start();
  const base = () => {
    const server = app.services.get<{ address(): { port: number } }>('server')!;
    return `http://127.0.0.1:${server.address().port}`;
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  assert.deepEqual(await call('PUT', '/a/builds/1/app.bin', { content: b64('binary one'), owner: 'ada' }), {
    status: 201,
    json: { key: 'builds/1/app.bin', store: 'artifacts', size: 10 },
  });
  await call('PUT', '/a/builds/2/app.bin', { content: b64('two'), owner: 'bob' });
  await call('PUT', '/a/logs/1.txt', { content: b64('log'), owner: 'ada' });

  const listed = await call('GET', '/list?prefix=builds/');
  assert.equal(listed.json.count, 2);
  assert.deepEqual(
    listed.json.artifacts.map((a: any) => [a.key, a.size, a.metadata.owner]),
    [
      ['builds/1/app.bin', 10, 'ada'],
      ['builds/2/app.bin', 3, 'bob'],
    ],
  );
  assert.match(listed.json.artifacts[0].modified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal((await call('GET', '/list')).json.count, 3, 'no prefix lists all, never the metadata');

  assert.deepEqual((await call('GET', '/a/builds/1/app.bin')).json, {
    key: 'builds/1/app.bin',
    artifact_content: 'binary one',
    size: 10,
    metadata: { owner: 'ada' },
  });

  assert.equal((await call('GET', '/a/builds/9/none.bin')).status, 404);
  assert.equal((await call('PUT', '/a/big', { content: b64('x'.repeat(65)) })).status, 413);
  assert.equal((await call('PUT', '/a/x', { content: '%%%not base64' })).status, 400);
  const traversal = await call('PUT', '/a/builds/..%2F..%2Fescape', { content: b64('x') });
  assert.equal(traversal.status, 400, JSON.stringify(traversal.json));

  assert.deepEqual((await call('DELETE', '/a/builds/1/app.bin')).json, { key: 'builds/1/app.bin', deleted: true });
  assert.equal((await call('GET', '/list?prefix=builds/')).json.count, 1);
  const root = join(app.dataDir, 'store');
  assert.ok(!existsSync(join(root, 'builds', '1')), 'empty directories go with the last artifact');
  assert.deepEqual(readdirSync(root).sort(), ['.artifact-meta', 'builds', 'logs']);

  // a restart on the same data dir keeps the artifacts and their metadata
  await app.halt();
  const again = new TestApp({ plugins, config, configDir: app.configDir, dataDir: app.dataDir });
  t.after(() => again.stop());
  await (await again.build()).start();
  const server = again.services.get<{ address(): { port: number } }>('server')!;
  const res = await fetch(`http://127.0.0.1:${server.address().port}/a/builds/2/app.bin`);
  assert.deepEqual(await res.json(), {
    key: 'builds/2/app.bin',
    artifact_content: 'two',
    size: 3,
    metadata: { owner: 'bob' },
  });
  const files = again.services.get('files');
  assert.ok(FileStorageCap.is(files));
  await files.put('docs/readme.md', Buffer.from('# hi'));
  assert.equal((await files.get('docs/readme.md')).toString(), '# hi');
  assert.deepEqual(
    (await files.list('docs')).map((f) => f.key),
    ['docs/readme.md'],
  );
  await assert.rejects(files.put('../outside', Buffer.from('x')), /has an empty, "\." or "\.\." segment/);
  assert.ok(existsSync(join(again.configDir, 'files', 'docs', 'readme.md')), 'rootDir is relative to the config dir');
});

test('artifacts: a cloud backend is refused at load; a step without content is located', async () => {
  const cloud = new TestApp({
    plugins,
    config: { modules: [{ name: 'a', type: 'storage.artifact', config: { backend: 's3' } }] },
  });
  await assert.rejects(cloud.build(), /"backend" must be one of: filesystem, local \(got "s3"\) \(module a\)/);
  const noContent = new TestApp({
    plugins,
    config: {
      modules: [{ name: 'a', type: 'storage.artifact' }],
      pipelines: {
        p: { steps: [{ name: 'up', type: 'step.artifact_upload', config: { store: 'a', key: 'k' } }] },
      },
    },
  });
  await assert.rejects(noContent.build(), /either "content_from" or "source" is required/);
});
