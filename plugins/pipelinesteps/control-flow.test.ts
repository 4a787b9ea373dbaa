// Control-flow steps over real HTTP: while, retry_with_backoff, resilient_circuit_breaker, branch.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Engine, silentLogger } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { CircuitBreaker } from '../support/index.ts';
import { pipelineStepsPlugin } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin];
const dir = mkdtempSync(join(tmpdir(), 'wf-control-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const build = (yaml: string) =>
  Engine.fromText(yaml, { plugins, logger: silentLogger(), baseDir: dir, httpAddress: '127.0.0.1:0' });

/** A backend whose pages are /page/0..2 and which fails its first `failFirst` calls of /flaky. */
async function backend(failFirst: number): Promise<{ url: string; calls: () => number }> {
  let flaky = 0;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const page = /^\/page\/(\d+)/.exec(req.url ?? '');
    if (page) {
      const n = Number(page[1]);
      res.end(JSON.stringify({ items: [n * 10, n * 10 + 1], has_next: n < 2 }));
    } else if (req.url === '/flaky') {
      flaky++;
      res.statusCode = flaky <= failFirst ? 503 : 200;
      res.end(JSON.stringify({ attempt: flaky }));
    } else {
      res.statusCode = 500;
      res.end('{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => flaky };
}

test('while pages through an API and accumulates; max_iterations stops a runaway loop', async () => {
  const api = await backend(0);
  const engine = await build(`
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  all:
    trigger: { type: http, config: { method: GET, path: /all } }
    steps:
      - { name: start, type: step.set, config: { values: { more: "true" } } }
      - name: pages
        type: step.while
        config:
          condition: "{{ .more }}"
          iteration_var: iter
          accumulate: { key: items, from: "{{ .steps.fetch.body.items }}" }
          steps:
            - { name: fetch, type: step.http_call, config: { url: "${api.url}/page/{{ .iter.index }}" } }
            - { name: next, type: step.set, config: { values: { more: "{{ .steps.fetch.body.has_next }}" } } }
      - name: respond
        type: step.json_response
        config: { body: { iterations: { _from: steps.pages.iterations }, items: { _from: steps.pages.items } } }
  forever:
    steps:
      - name: spin
        type: step.while
        config:
          condition: "true"
          max_iterations: 5
          step: { name: noop, type: step.set, config: { values: { x: 1 } } }
`);
  await engine.start();
  try {
    const res = await fetch(`http://127.0.0.1:${engine.address()!.port}/all`);
    assert.deepEqual(await res.json(), { iterations: 3, items: [0, 1, 10, 11, 20, 21] });
    await assert.rejects(engine.executePipeline('forever', {}), /exceeded max_iterations \(5\)/);
  } finally {
    await engine.stop();
  }
});

test('retry_with_backoff retries a failing call, then gives up with the last error', async () => {
  const api = await backend(2);
  const engine = await build(`
pipelines:
  call:
    steps:
      - name: fetch
        type: step.retry_with_backoff
        config:
          max_retries: 3
          initial_delay: 10ms
          step: { type: step.http_call, config: { url: "${api.url}/flaky" } }
  never:
    steps:
      - name: fetch
        type: step.retry_with_backoff
        config:
          max_retries: 1
          initial_delay: 5ms
          step: { type: step.http_call, config: { url: "${api.url}/down" } }
`);
  try {
    const out = await engine.executePipeline('call', {});
    assert.equal(out.retry_attempts, 2);
    assert.equal(out.status_code, 200);
    assert.equal(api.calls(), 3);
    await assert.rejects(engine.executePipeline('never', {}), /all 2 attempts failed: .*returned 500/);
  } finally {
    await engine.stop();
  }
});

test('resilient_circuit_breaker opens after the threshold, serves the fallback, and closes again', async () => {
  const b = new CircuitBreaker(2, 1000);
  assert.equal(b.allows(0), true);
  b.failed(0);
  assert.equal(b.allows(1), true);
  b.failed(1);
  assert.equal(b.allows(2), false, 'open after 2 failures in a row');
  assert.equal(b.allows(1001), true, 'half-open after the reset timeout');
  b.failed(1001);
  assert.equal(b.allows(1002), false, 'a failed trial opens it again');
  b.succeeded();
  assert.equal(b.allows(1003), true);

  const api = await backend(0);
  const engine = await build(`
pipelines:
  guarded:
    steps:
      - name: call
        type: step.resilient_circuit_breaker
        config:
          failure_threshold: 2
          reset_timeout: 1h
          step: { type: step.http_call, config: { url: "${api.url}/down" } }
          fallback: { type: step.set, config: { values: { cached: true } } }
`);
  try {
    await assert.rejects(engine.executePipeline('guarded', {}), /returned 500/);
    await assert.rejects(engine.executePipeline('guarded', {}), /returned 500/);
    const out = await engine.executePipeline('guarded', {});
    assert.equal(out.cached, true);
    assert.equal(out.circuit_breaker_open, true);
  } finally {
    await engine.stop();
  }
});

test('branch runs only the selected branch, then jumps to the merge step', async () => {
  const engine = await build(`
pipelines:
  route:
    steps:
      - name: pick
        type: step.branch
        config:
          field: kind
          branches:
            book: [{ name: shelf, type: step.set, config: { values: { where: shelf } } }]
            food: [{ name: fridge, type: step.set, config: { values: { where: fridge } } }]
          default: [{ name: floor, type: step.set, config: { values: { where: floor } } }]
          merge_step: done
      - { name: never, type: step.set, config: { values: { never: true } } }
      - { name: done, type: step.set, config: { values: { done: true } } }
`);
  try {
    const book = await engine.executePipeline('route', { kind: 'book' });
    assert.deepEqual([book.where, book.branch, book.done, book.never], ['shelf', 'book', true, undefined]);
    assert.equal((await engine.executePipeline('route', { kind: 'car' })).where, 'floor');
  } finally {
    await engine.stop();
  }
  await assert.rejects(
    build(
      `pipelines:\n  p:\n    steps:\n      - { name: b, type: step.branch, config: { field: x, branches: { a: ` +
        `[] } } }\n`,
    ),
    (err: unknown) => err instanceof ConfigError && /"branches.a" must be a non-empty list of steps/.test(err.message),
  );
});
