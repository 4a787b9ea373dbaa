// `wfctl run` as the engine container runs it: config and address from WORKFLOW_CONFIG /
// WORKFLOW_ADDR, readiness on /readyz, and SIGTERM = stop accepting, drain in-flight, exit 0.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wf-shutdown-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('SIGTERM drains in-flight requests, refuses new ones and exits 0', { timeout: 30_000 }, async () => {
  // a slow backend the app calls, so a request is provably in flight when SIGTERM arrives
  let calls = 0;
  let notifyCall: () => void = () => {};
  const called = new Promise<void>((r) => (notifyCall = r));
  const backend = createServer((_req, res) => {
    calls++;
    notifyCall();
    setTimeout(() => res.end('{"slow":true}'), 600);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const config = join(dir, 'app.yaml');
  writeFileSync(
    config,
    `
name: drain-test
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
  - { name: health, type: health.checker }
pipelines:
  slow:
    trigger: { type: http, config: { method: GET, path: /slow } }
    steps:
      - { name: call, type: step.http_call, config: { url: "${backendUrl}/" } }
      - name: respond
        type: step.json_response
        config: { body: { done: true, upstream: '{{ .steps.call.body.slow }}' } }
`,
  );
  const child = spawn(process.execPath, [wfctl, 'run', '--log-level', 'warn'], {
    env: {
      ...process.env,
      WORKFLOW_CONFIG: config,
      WORKFLOW_ADDR: '127.0.0.1:0',
      WORKFLOW_DATA_DIR: join(dir, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`wfctl run exited early: ${stderr}`)));
    });
    assert.deepEqual(await (await fetch(`${url}/readyz`)).json(), { status: 'ready' });
    const inflight = fetch(`${url}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await called;
    child.kill('SIGTERM');
    const done = await inflight;
    assert.equal(done.status, 200);
    assert.deepEqual(done.body, { done: true, upstream: 'true' });
    assert.equal(await exited, 0, stderr);
    await assert.rejects(fetch(`${url}/readyz`), 'no longer accepting connections');
    assert.equal(calls, 1);
  } finally {
    child.kill('SIGKILL');
    await new Promise<void>((r) => backend.close(() => r()));
  }
});

test('wfctl run reports config errors with locations and exits 1 without starting', { timeout: 30_000 }, async () => {
  const config = join(dir, 'broken.yaml');
  writeFileSync(config, 'modules:\n  - name: server\n    type: http.sever\n');
  const child = spawn(process.execPath, [wfctl, 'run', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(
    stderr,
    /broken\.yaml:3:11: unknown module type "http\.sever" \(module server\)\n {2}hint: did you mean "http\.server"\?/,
  );
  assert.match(stderr, /the app was not started/);
});
