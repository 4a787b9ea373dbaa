import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inspection } from '../../engine/index.ts';
import { appDiagram, moduleDepths } from './diagram.ts';

const inspection: Inspection = {
  name: 'shop',
  files: [],
  modules: [
    { name: 'server', type: 'http.server', dependsOn: [] },
    { name: 'router', type: 'http.router', dependsOn: ['server'] },
    { name: 'db', type: 'storage.sqlite', dependsOn: [] },
    { name: 'api', type: 'api.handler', dependsOn: ['router', 'db'] },
  ],
  startOrder: ['server', 'router', 'db', 'api'],
  pipelines: [
    {
      name: 'list',
      trigger: 'http GET /items',
      steps: [
        { name: 'query', type: 'step.db_query' },
        { name: 'respond', type: 'step.json_response' },
      ],
    },
    { name: 'nightly', steps: [] },
  ],
  triggers: [],
  workflows: [],
};

test('a module sits one column right of the deepest module it depends on', () => {
  const depths = moduleDepths(inspection.modules);
  assert.deepEqual(Object.fromEntries(depths), { server: 0, router: 1, db: 0, api: 2 });
  const d = appDiagram(inspection).modules;
  const x = (id: string) => d.nodes.find((n) => n.id === `module:${id}`)!.x;
  assert.ok(x('server') < x('router') && x('router') < x('api'));
  assert.equal(x('server'), x('db'));
  assert.deepEqual(d.edges.map((e) => `${e.from}>${e.to}`).sort(), [
    'module:db>module:api',
    'module:router>module:api',
    'module:server>module:router',
  ]);
  for (const n of d.nodes) assert.ok(n.x + n.width <= d.width && n.y + n.height <= d.height, n.id);
});

test('cycles and unknown dependencies are drawn, not looped on', () => {
  const depths = moduleDepths([
    { name: 'a', type: 't', dependsOn: ['b'] },
    { name: 'b', type: 't', dependsOn: ['a', 'ghost'] },
  ]);
  assert.equal(depths.size, 2);
});

test('each pipeline is a row: its trigger, then its steps in order', () => {
  const d = appDiagram(inspection);
  const rows = d.pipelines.nodes.filter((n) => n.id.includes(':list'));
  assert.deepEqual(
    rows.map((n) => [n.kind, n.label]),
    [
      ['trigger', 'list'],
      ['step', 'query'],
      ['step', 'respond'],
    ],
  );
  assert.equal(new Set(rows.map((n) => n.y)).size, 1);
  assert.equal(d.pipelines.edges.length, 2);
  assert.deepEqual(d.pipelineList[1], { name: 'nightly', trigger: null, steps: [] });
  assert.deepEqual(d.startOrder, inspection.startOrder);
});

test('an empty config draws nothing', () => {
  const d = appDiagram({ ...inspection, modules: [], pipelines: [], startOrder: [] });
  assert.equal(d.modules.width, 0);
  assert.equal(d.pipelines.nodes.length, 0);
});
