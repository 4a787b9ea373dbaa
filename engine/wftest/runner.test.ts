// wftest files run in a real engine: pipeline and HTTP triggers, step mocks, stop_after, sequences,
// assertions on step output, pipeline output and the HTTP response; failures name the YAML line, and
// the report reads as TAP or JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corePlugins } from '../../plugins/index.ts';
import { formatTap, summarize } from './report.ts';
import { runTestFile } from './runner.ts';
import { parseTestFile } from './test-file.ts';

const app = `
modules:
  - name: server
    type: http.server
    config: { address: ":0" }
  - name: router
    type: http.router
    dependsOn: [server]
pipelines:
  greet:
    trigger:
      type: http
      config: { method: POST, path: /greet }
    steps:
      - name: compose
        type: step.set
        config:
          values:
            message: 'Hello, {{ or .name .body.name }}!'
      - name: later
        type: step.set
        config:
          values:
            after: yes
      - name: respond
        type: step.json_response
        config:
          status: 201
          headers: { X-Greeting: plain }
          body:
            message: '{{ .steps.compose.message }}'
`;

const indented = app
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n');

function file(tests: string) {
  return parseTestFile(`yaml: |\n${indented}\ntests:\n${tests}`, 'greet_test.yaml');
}

const run = (tests: string) => runTestFile(file(tests), { plugins: corePlugins });

test('passing tests: pipeline trigger with step output, HTTP with response, mocks, stop_after, sequence', async () => {
  const results = await run(`
  pipeline-output:
    description: the compose step greets by name
    trigger: { type: pipeline, name: greet, data: { name: Ada } }
    assertions:
      - step: compose
        output: { message: 'Hello, Ada!' }
      - step: later
        executed: true
  over-http:
    trigger: { type: http.post, path: /greet, data: { name: Grace } }
    assertions:
      - response:
          status: 201
          json: { message: 'Hello, Grace!' }
          headers: { X-Greeting: plain }
          body: Grace
  mocked:
    mocks:
      steps:
        step.set: { message: mocked }
    trigger: { type: pipeline, name: greet }
    assertions:
      - step: compose
        output: { message: mocked }
  stopped:
    stop_after: compose
    trigger: { type: pipeline, name: greet, data: { name: Lin } }
    assertions:
      - step: compose
        output: { message: 'Hello, Lin!' }
      - step: later
        executed: false
  twice:
    sequence:
      - name: first
        trigger: { type: post, path: /greet, data: { name: One } }
        assertions:
          - response: { status: 201, json_not_empty: [message] }
      - name: second
        trigger: { type: pipeline, name: greet, data: { name: Two } }
        assertions:
          - step: compose
            output: { message: 'Hello, Two!' }
`);
  assert.deepEqual(
    results.map((r) => [r.name, r.ok, r.failures]),
    [
      ['pipeline-output', true, []],
      ['over-http', true, []],
      ['mocked', true, []],
      ['stopped', true, []],
      ['twice', true, []],
    ],
  );
  const tap = formatTap(summarize(results));
  assert.match(
    tap,
    /^TAP version 13\n1\.\.5\nok 1 - .*greet_test\.yaml: pipeline-output - the compose step greets by name\n/,
  );
  assert.match(tap, /# tests 5\n# pass 5\n# fail 0\n$/);
});

test('failing assertions are reported with their line and what was found', async () => {
  const results = await run(`
  wrong-output:
    trigger: { type: pipeline, name: greet, data: { name: Ada } }
    assertions:
      - step: compose
        output: { message: 'Bye, Ada!' }
  wrong-status:
    trigger: { type: http.post, path: /greet, data: { name: Ada } }
    assertions:
      - response: { status: 200 }
  not-run:
    stop_after: compose
    trigger: { type: pipeline, name: greet }
    assertions:
      - step: later
        executed: true
  no-such-pipeline:
    trigger: { type: pipeline, name: nope }
    assertions:
      - output: { x: 1 }
`);
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  for (const r of results) assert.equal(r.ok, false, r.name);
  assert.match(byName['wrong-output']!.failures[0]!, /line \d+: .*message.*Bye, Ada!.*Hello, Ada!/s);
  assert.match(byName['wrong-status']!.failures[0]!, /line \d+: expected status 200, got 201/);
  assert.match(byName['not-run']!.failures[0]!, /expected step "later" to run/);
  assert.match(byName['no-such-pipeline']!.failures.join('\n'), /nope/);

  const report = summarize(results);
  assert.deepEqual([report.ok, report.passed, report.failed], [false, 0, 4]);
  const tap = formatTap(report);
  assert.match(
    tap,
    /not ok 2 - .*wrong-status\n {2}---\n {2}duration_ms: \d+\n {2}failures:\n {4}- 'line \d+: expected status 200/,
  );
  // the JSON report (-o json) is this document
  const json = JSON.parse(JSON.stringify(report));
  assert.equal(json.tests[1].name, 'wrong-status');
  assert.equal(json.tests[1].ok, false);
});

test('a test file with mistakes is refused with the line of each', () => {
  assert.throws(
    () =>
      parseTestFile(
        'tests:\n  t:\n    trigger: { type: telepathy }\n    assertions: [{ stepp: x }]\n',
        'bad_test.yaml',
      ),
    (err: Error & { problems?: string[] }) => {
      const all = (err.problems ?? [err.message]).join('\n');
      assert.match(all, /bad_test\.yaml:\d+/);
      assert.match(all, /telepathy|stepp/);
      return true;
    },
  );
});
