// Upstream's run-time tolerance (issue 15, part 1): mistakes upstream's engine starts with and meets only
// when a path runs. `wfctl run` starts such a config, warns with file:line and a hint, and fails only the
// request that takes that path; `wfctl validate` reports them as errors; `wfctl run --strict` refuses.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, silentLogger } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';

const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'wf-tolerance-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVER = `
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
`;

// one route per run-time class, and one with none
const TOLERANT = `name: tolerant${SERVER}
pipelines:
  ok:
    trigger: { type: http, config: { method: GET, path: /ok } }
    steps:
      - { name: respond, type: step.json_response, config: { body: { ok: true } } }
  route:
    trigger: { type: http, config: { method: GET, path: /route } }
    steps:
      - { name: pick, type: step.conditional, config: { if: "yes", then: nowhere } }
      - { name: respond, type: step.json_response, config: { body: { reached: true } } }
  template:
    trigger: { type: http, config: { method: GET, path: /template } }
    steps:
      - { name: compose, type: step.set, config: { values: { x: "{{ .a " } } }
      - { name: respond, type: step.json_response, config: { body: { reached: true } } }
  anonymous:
    trigger: { type: http, config: { method: GET, path: /anonymous } }
    steps:
      - { type: step.set, config: { values: { greeting: hello } } }
      - { name: respond, type: step.json_response, config: { body: { greeting: '{{ index .steps "" "greeting" }}' } } }
  twice:
    trigger: { type: http, config: { method: GET, path: /twice } }
    on_error: sometimes
    steps:
      - { name: a, type: step.set, timeout: soon, config: { values: { n: "1" } } }
      - { name: a, type: step.set, config: { values: { n: "2" } } }
      - { name: respond, type: step.json_response, config: { body: { n: '{{ .steps.a.n }}' } } }
`;

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

function wfctlSync(...args: string[]) {
  const r = spawnSync(process.execPath, [wfctl, ...args], { encoding: 'utf8', env: { ...process.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('wfctl run starts a config upstream starts, warns with locations, and fails only the paths that break', {
  timeout: 60_000,
}, async () => {
  const config = join(dir, 'tolerant.yaml');
  writeFileSync(config, TOLERANT);
  const child = spawn(process.execPath, [wfctl, 'run', config, '--port', '0', '--data-dir', join(dir, 'data')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`wfctl run exited (${code}): ${stderr}`)));
    });
    const get = async (path: string) => {
      const r = await fetch(url + path);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    assert.deepEqual(await get('/ok'), { status: 200, body: { ok: true } });
    const routed = await get('/route');
    assert.equal(routed.status, 500);
    assert.match(String(routed.body.error), /step "pick" routed to unknown step "nowhere"/);
    const template = await get('/template');
    assert.equal(template.status, 500);
    assert.match(String(template.body.error), /step "compose" failed: template syntax error/);
    assert.deepEqual(await get('/anonymous'), { status: 200, body: { greeting: 'hello' } }, 'a nameless step runs');
    assert.deepEqual(await get('/twice'), { status: 200, body: { n: '2' } }, 'the later step of a name wins');
    assert.deepEqual(await get('/ok'), { status: 200, body: { ok: true } }, 'the app keeps serving');

    // each problem is a warning on stderr with file:line and a hint
    const warned = (needle: string, message: RegExp) => {
      const at = `tolerant\\.yaml:${lineOf(TOLERANT, needle)}:\\d+: warning: `;
      assert.match(stderr, new RegExp(at + message.source), `warning for ${needle}`);
    };
    warned('then: nowhere', /jump target \\"nowhere\\" is not a step of this pipeline/);
    warned('{{ .a ', /template syntax error/);
    warned('{ type: step.set', /missing required key \\"name\\"/);
    warned('n: "2"', /duplicate step name \\"a\\"/);
    warned('on_error: sometimes', /must be one of/);
    warned('timeout: soon', /.+/);
    assert.match(stderr, /started anyway, as upstream does: a run that takes this route fails/);
    assert.match(stderr, /started anyway, as upstream does: the step fails when it runs/);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

test('wfctl validate reports the same problems as errors; wfctl run --strict refuses to start', () => {
  const config = join(dir, 'strict.yaml');
  writeFileSync(config, TOLERANT);
  const validated = wfctlSync('validate', config);
  assert.equal(validated.code, 1, validated.stdout);
  assert.match(
    validated.stdout,
    new RegExp(`strict\\.yaml:${lineOf(TOLERANT, 'then: nowhere')}:\\d+: error: jump target "nowhere"`),
  );
  assert.match(validated.stdout, /error: template syntax error/);
  assert.match(validated.stdout, /error: duplicate step name "a"/);
  assert.match(validated.stdout, /error: missing required key "name"/);
  const strict = wfctlSync('run', config, '--strict', '--port', '0', '--data-dir', join(dir, 'data'));
  assert.equal(strict.code, 1);
  assert.match(
    strict.stderr,
    new RegExp(`strict\\.yaml:${lineOf(TOLERANT, 'then: nowhere')}:\\d+: jump target "nowhere" is not a step`),
  );
  assert.match(strict.stderr, /the app was not started/);
});

test('load-time mistakes still refuse to start without --strict (unknown step type, module cycle)', () => {
  const config = join(dir, 'refused.yaml');
  const text = `${SERVER}pipelines:
  p:
    steps:
      - { name: s, type: step.nope }
      - { name: t, type: step.set, config: { values: { x: "{{ .a " } } }
`;
  writeFileSync(config, text);
  const r = wfctlSync('run', config, '--port', '0', '--data-dir', join(dir, 'data'));
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`refused\\.yaml:${lineOf(text, 'step.nope')}:\\d+: unknown step type "step\\.nope"`),
  );
  assert.doesNotMatch(r.stderr, /refused\.yaml:\d+:\d+: template syntax error/, 'the run-time class stays a warning');
});

test('an on_error upstream does not know means stop; an unreadable step timeout is not applied', async () => {
  const engine = await Engine.fromText(
    `${SERVER}pipelines:
  p:
    on_error: sometimes
    steps:
      - { name: first, type: step.set, timeout: soon, config: { values: { reached: first } } }
      - { name: boom, type: step.validate, config: { required_fields: [missing] } }
      - { name: after, type: step.set, config: { values: { reached: after } } }
`,
    { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0', dataDir: join(dir, 'data') },
  );
  try {
    assert.ok(engine.warnings.some((w) => w.runTime && /must be one of/.test(w.message)));
    await assert.rejects(engine.executePipeline('p', {}), /step "boom" failed: .*missing/);
  } finally {
    await engine.stop();
  }
});

test("a step's unknown on_error leaves the pipeline's in force; an unknown templateRefs means warn", async () => {
  const engine = await Engine.fromText(
    `${SERVER}engine: { validation: { templateRefs: loud } }
pipelines:
  p:
    on_error: skip
    steps:
      - { name: boom, type: step.validate, on_error: sideways, config: { required_fields: [missing] } }
      - { name: after, type: step.set, config: { values: { reached: after, ref: '{{ .steps.nowhere.x }}' } } }
`,
    { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0', dataDir: join(dir, 'data') },
  );
  try {
    const runTime = engine.warnings.filter((w) => w.runTime).map((w) => w.jsonPath);
    assert.deepEqual(runTime.sort(), ['engine.validation.templateRefs', 'pipelines.p.steps[0].on_error']);
    assert.ok(
      engine.warnings.some((w) => /step "nowhere"/.test(w.message) && !w.runTime),
      'the undefined step reference is the templateRefs warning it would be by default',
    );
    const out = await engine.executePipeline('p', {});
    assert.equal(out.reached, 'after', "the pipeline's skip applied to the failing step");
  } finally {
    await engine.stop();
  }
});
