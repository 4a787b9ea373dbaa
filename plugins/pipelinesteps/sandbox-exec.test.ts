// step.sandbox_exec over real HTTP: output and exit codes, the scrubbed environment, profiles' network
// isolation, memory limit, mounts (PRoot), the hard timeout killing the whole process tree, and the
// clear errors for unmappable images, remote runners and bad config.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, silentLogger } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { rejectsWithIssue, waitFor } from '../testing/index.ts';
import { pipelineStepsPlugin } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-sandbox-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const build = (yaml: string) =>
  Engine.fromText(yaml, {
    plugins: [httpPlugin, pipelineStepsPlugin],
    logger: silentLogger(),
    baseDir: dir,
    httpAddress: '127.0.0.1:0',
  });

/** A route /NAME running one sandbox_exec step (config as YAML flow map) and answering with its output. */
const route = (name: string, config: string) => `
  ${name}:
    trigger: { type: http, config: { method: POST, path: /${name} } }
    steps:
      - { name: run, type: step.sandbox_exec, config: ${config} }
      - { name: respond, type: step.json_response, config: { body_from: steps.run } }`;

const SERVER = `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:`;

// user + network namespaces: available on this machine and in CI; without them network "none" fails closed
const namespaces =
  spawnSync('unshare', ['--user', '--map-current-user', '--pid', '--fork', '--mount-proc', '--net', 'true']).status ===
  0;

test('sandbox_exec: output, exit codes, scrubbed env, network per profile, memory limit, mounts', async () => {
  process.env.WF_SANDBOX_TEST_SECRET = 'host-secret';
  after(() => delete process.env.WF_SANDBOX_TEST_SECRET);
  const mountDir = mkdtempSync(join(dir, 'mount-'));
  writeFileSync(join(mountDir, 'greeting.txt'), 'hello from the host\n');
  // a TCP listener on this host's loopback: reachable with the host network, not from network "none"
  const listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  after(() => listener.close());
  const port = (listener.address() as AddressInfo).port;
  const tcp = `["bash", "-c", "echo > /dev/tcp/127.0.0.1/${port} && echo connected"]`;
  // a 100 MB shell string
  const bigString = `["sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\\\0' a); echo \${#x}"]`;
  const mountSpec = `{ source: "${mountDir}", target: /data, read_only: true }`;
  const engine = await build(`${SERVER}
${route('echo', `{ command: ["sh", "-c", "echo out; echo err >&2; pwd"] }`)}
${route('env', `{ command: ["sh", "-c", "env | sort"], env: { GREETING: hi, COUNT: 3 } }`)}
${route('exit', `{ command: ["sh", "-c", "echo partial; exit 3"], fail_on_error: false }`)}
${route('stop', `{ command: ["sh", "-c", "exit 4"] }`)}
${route('strictnet', `{ command: ${tcp}, fail_on_error: false }`)}
${route('opennet', `{ command: ${tcp}, security_profile: permissive }`)}
${route('hog', `{ command: ${bigString}, memory_limit: 32m, fail_on_error: false }`)}
${route('roomy', `{ command: ${bigString}, memory_limit: 2g }`)}
${route('mount', `{ command: ["cat", "/data/greeting.txt"], mounts: [${mountSpec}] }`)}
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  const post = async (path: string) => {
    const res = await fetch(url + path, { method: 'POST' });
    const text = await res.text();
    return { status: res.status, text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
  };
  try {
    const echo = await post('/echo');
    assert.equal(echo.status, 200, echo.text);
    assert.equal(echo.json.exit_code, 0);
    assert.match(echo.json.stdout, /^out\n\/.*wf-sandbox-/, 'a fresh working directory of its own');
    assert.equal(echo.json.stderr, 'err');

    const env = (await post('/env')).json.stdout as string;
    assert.match(env, /^GREETING=hi$/m);
    assert.match(env, /^COUNT=3$/m);
    assert.match(env, /^PATH=/m);
    assert.doesNotMatch(env, /WF_SANDBOX_TEST_SECRET|host-secret/, "the engine's environment stays outside");

    const exit = await post('/exit');
    assert.deepEqual([exit.json.exit_code, exit.json.stdout], [3, 'partial']);

    // a failing command stops the pipeline (successfully, as upstream): the response step never runs
    const stop = await post('/stop');
    assert.equal(stop.json?.exit_code, undefined, stop.text);

    const open = await post('/opennet');
    assert.deepEqual([open.json.exit_code, open.json.stdout], [0, 'connected'], 'permissive: the host network');
    const strict = await post('/strictnet');
    if (namespaces) {
      assert.notEqual(strict.json.exit_code, 0, `strict: network "none" (a namespace of its own): ${strict.text}`);
      assert.doesNotMatch(strict.json.stdout, /connected/);
    } else {
      assert.equal(strict.status, 500, 'no namespaces here: network "none" fails closed');
      assert.match(strict.text, /network "none" cannot be enforced/);
    }

    const hog = await post('/hog');
    assert.notEqual(hog.json.exit_code, 0, `memory_limit 32m stops a 100 MB string: ${hog.text}`);
    const roomy = await post('/roomy');
    assert.equal(roomy.json.stdout, '100000000');

    const mount = await post('/mount');
    assert.equal(mount.json.stdout, 'hello from the host');
  } finally {
    await engine.stop();
  }
});

test('sandbox_exec: the timeout kills the whole process tree; images map through the node table', async () => {
  const marker = `wf-sandbox-marker-${process.pid}`;
  const runtimes = join(dir, 'runtimes.yaml');
  writeFileSync(runtimes, '"greeter:*": [echo, "greeting:"]\n');
  process.env.WORKFLOW_SANDBOX_RUNTIMES = runtimes;
  after(() => delete process.env.WORKFLOW_SANDBOX_RUNTIMES);
  const tree = `["sh", "-c", "sh -c 'sleep 300; : ${marker}' & sleep 300"]`;
  const engine = await build(`${SERVER}
${route('slow', `{ command: ${tree}, timeout: 1s, security_profile: permissive }`)}
${route('greet', `{ image: "registry.example/greeter:2", command: [a, b] }`)}
${route('nginx', `{ image: "nginx:1.25", command: [nginx] }`)}
${route('missing', `{ command: [no-such-tool-here] }`)}
`);
  await engine.start();
  const url = `http://127.0.0.1:${engine.address()!.port}`;
  try {
    const slow = await fetch(`${url}/slow`, { method: 'POST' });
    assert.equal(slow.status, 500);
    await slow.text();
    await assert.rejects(
      engine.executePipeline('slow', {}),
      /sandbox_exec step "run": execution failed: sandbox: execution timed out after 1s/,
    );
    // the background grandchild (its command line carries the marker) went with the sandbox
    await waitFor(() => spawnSync('pgrep', ['-f', marker]).status === 1, 30_000);

    const greet = await (await fetch(`${url}/greet`, { method: 'POST' })).json();
    assert.deepEqual(greet, { exit_code: 0, stdout: 'greeting: a b', stderr: '' }, 'a runtimes-file image');

    await assert.rejects(
      engine.executePipeline('nginx', {}),
      /image "nginx:1.25" cannot run on this node; it runs only greeter:\*, cgr.dev\/chainguard\/wolfi-base:\*.*engine/,
    );
    await assert.rejects(
      engine.executePipeline('missing', {}),
      /failed to start container: exec: "no-such-tool-here": executable file not found in \$PATH/,
    );
  } finally {
    await engine.stop();
  }
});

test('sandbox_exec: run-time errors for remote runners and a missing command; bad config is located', async () => {
  const engine = await build(`
pipelines:
  remote: { steps: [{ name: run, type: step.sandbox_exec, config: { command: ["true"], exec_env: gpu-pool } }] }
  nocommand: { steps: [{ name: run, type: step.sandbox_exec, config: {} }] }
`);
  await assert.rejects(
    engine.executePipeline('remote', {}),
    /sandbox_exec step "run": failed to create sandbox: exec_env "gpu-pool" names a remote runner/,
  );
  await assert.rejects(engine.executePipeline('nocommand', {}), /execution failed: sandbox: command is required/);
  const bad = (config: string) =>
    build(`pipelines:\n  p:\n    steps:\n      - { name: run, type: step.sandbox_exec, config: ${config} }\n`);
  await rejectsWithIssue(
    bad('{ security_profile: paranoid }'),
    'pipelines.p.steps[0].config.security_profile',
    /strict, standard,? (or )?permissive/,
  );
  await rejectsWithIssue(bad('{ command: "echo hi" }'), 'pipelines.p.steps[0].config.command', /list of strings/);
  await rejectsWithIssue(
    bad('{ memory_limit: lots }'),
    'pipelines.p.steps[0].config.memory_limit',
    /invalid memory_limit/,
  );
  await rejectsWithIssue(bad('{ timeout: soon }'), 'pipelines.p.steps[0].config.timeout', /invalid timeout/);
  await rejectsWithIssue(
    bad('{ mounts: [{ source: rel, target: /x }] }'),
    'pipelines.p.steps[0].config.mounts[0]',
    /absolute/,
  );
});
