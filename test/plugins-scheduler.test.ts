// A scheduled pipeline on the real engine really fires: an inline `schedule` trigger with a
// seconds-resolution cron (upstream's inline schedule never fires), observed over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestJson, waitFor } from '../plugins/testing/index.ts';
import { startApp } from './plugins-harness.ts';

const config = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: ticks, type: nosql.memory }

workflows:
  http: { server: server, router: router, routes: [] }

pipelines:
  tick:
    trigger: { type: schedule, config: { cron: "* * * * * *" } }
    steps:
      - name: save
        type: step.nosql_put
        config: { store: ticks, key: "tick:{{ .trigger_time }}" }
  count:
    trigger: { type: http, config: { path: /ticks, method: GET } }
    steps:
      - name: q
        type: step.nosql_query
        config: { store: ticks, prefix: "tick:" }
      - name: respond
        type: step.json_response
        config: { status: 200, body: { count: "{{ .steps.q.count }}" } }
`;

test('a pipeline with a seconds cron fires on schedule', async (t) => {
  const app = await startApp(t, config);
  const count = await waitFor(
    async () => {
      const n = Number((await requestJson(`${app.url}/ticks`)).json.count);
      return n >= 2 ? n : undefined;
    },
    5000,
    'two scheduled runs',
  );
  assert.ok(count >= 2);
});
