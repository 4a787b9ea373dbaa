import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp } from '../testing/index.ts';
import { datastoresPlugin } from './index.ts';

test('nosql put, get, query by prefix and delete through pipeline steps', async (t) => {
  const store = (type: string, config: Record<string, unknown>) => ({
    name: type.replace('step.', ''),
    type,
    config: { store: 'docs', ...config },
  });
  const app = await startTestApp({
    plugins: [datastoresPlugin],
    config: {
      modules: [{ name: 'docs', type: 'nosql.memory', config: { collection: 'users' } }],
      pipelines: {
        put: { steps: [store('step.nosql_put', { key: 'user:{{ .id }}' })] },
        putScalar: { steps: [store('step.nosql_put', { key: 'count', item: 'n' })] },
        get: { steps: [store('step.nosql_get', { key: 'user:{{ .id }}', output: 'user' })] },
        strictGet: { steps: [store('step.nosql_get', { key: 'user:{{ .id }}', miss_ok: false })] },
        query: { steps: [store('step.nosql_query', { prefix: 'user:' })] },
        del: { steps: [store('step.nosql_delete', { key: 'user:{{ .id }}' })] },
      },
    },
  });
  t.after(() => app.stop());
  assert.deepEqual(await app.executePipeline('put', { id: '1', body: { name: 'Ada' } }), {
    id: '1',
    body: { name: 'Ada' },
    stored: true,
    key: 'user:1',
  });
  await app.executePipeline('put', { id: '2', body: { name: 'Bob' } });
  await app.executePipeline('putScalar', { n: 3 });
  const got = await app.executePipeline('get', { id: '1' });
  assert.deepEqual([got.user, got.found], [{ name: 'Ada' }, true]);
  assert.equal((await app.executePipeline('get', { id: '9' })).found, false);
  await assert.rejects(app.executePipeline('strictGet', { id: '9' }), /key "user:9" not found/);
  const listed = await app.executePipeline('query', {});
  assert.deepEqual([listed.items, listed.count], [[{ name: 'Ada' }, { name: 'Bob' }], 2]);
  assert.equal((await app.executePipeline('del', { id: '1' })).deleted, true);
  assert.equal((await app.executePipeline('query', {})).count, 1);
});

test('an undeclared store still loads (as upstream) and fails clearly when the step runs', async (t) => {
  const app = await startTestApp({
    plugins: [datastoresPlugin],
    config: {
      pipelines: { p: { steps: [{ name: 'g', type: 'step.nosql_get', config: { store: 'nope', key: 'k' } }] } },
    },
  });
  t.after(() => app.stop());
  await assert.rejects(app.executePipeline('p', {}), /step "g": NoSQL store "nope" is not a module of this app/);
});
