// step.cli_invoke and the embedding API behind it: commands a host passes as EngineOptions.cliCommands
// (a map, or a CliCommandRegistry it keeps registering into) and commands a plugin contributes, invoked
// from a pipeline that an HTTP request drives; unknown commands and failing commands are clear errors.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliCommandRegistry, Engine, silentLogger, type EngineOptions, type EnginePlugin } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { rejectsWithIssue, requestJson } from '../testing/index.ts';
import { pipelineStepsPlugin } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-cli-invoke-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const APP = `
modules:
  - { name: server, type: http.server, config: { address: ":1" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  run:
    trigger: { type: http, config: { method: POST, path: "/cli/{command}" } }
    steps:
      - { name: parse, type: step.request_parse, config: { parse_body: true, merge_body: true } }
      - { name: call, type: step.cli_invoke, config: { command: greet } }
      - { name: respond, type: step.json_response, config: { body_from: steps.call } }
  fail:
    trigger: { type: http, config: { method: POST, path: /fail } }
    steps:
      - { name: call, type: step.cli_invoke, config: { command: explode } }
  unknown:
    trigger: { type: http, config: { method: POST, path: /unknown } }
    steps:
      - { name: call, type: step.cli_invoke, config: { command: deploy } }
  audit:
    steps:
      - { name: call, type: step.cli_invoke, config: { command: audit } }
`;

async function start(opts: Partial<EngineOptions>, plugins: EnginePlugin[] = []) {
  const engine = await Engine.fromText(APP, {
    plugins: [httpPlugin, pipelineStepsPlugin, ...plugins],
    logger: silentLogger(),
    baseDir: dir,
    httpAddress: '127.0.0.1:0',
    ...opts,
  });
  await engine.start();
  return { engine, url: `http://127.0.0.1:${engine.address()!.port}` };
}

test('cli_invoke: a host command runs with the pipeline args and returns its result over HTTP', async (t) => {
  const calls: Array<{ args: string[]; user: unknown }> = [];
  const { engine, url } = await start({
    cliCommands: {
      greet: async (args, { data, signal }) => {
        assert.equal(signal.aborted, false);
        calls.push({ args, user: data.user });
        return `hello ${args.join(' ')}`;
      },
      explode: () => {
        throw new Error('disk full');
      },
    },
  });
  t.after(() => engine.stop());
  const res = await requestJson(`${url}/cli/greet`, { method: 'POST', body: { args: ['ada', 7], user: 'ops' } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { command: 'greet', success: true, result: 'hello ada 7' });
  assert.deepEqual(calls, [{ args: ['ada', '7'], user: 'ops' }], 'args reach the function as strings');

  const noArgs = await requestJson(`${url}/cli/greet`, { method: 'POST', body: {} });
  assert.deepEqual(noArgs.json.result, 'hello ', 'no args: an empty list');
  const badArgs = await requestJson(`${url}/cli/greet`, { method: 'POST', body: { args: 'ada' } });
  assert.equal(badArgs.status, 500);
  assert.match(badArgs.json.error, /"args" in the pipeline data must be a list of strings, got string/);

  const failed = await requestJson(`${url}/fail`, { method: 'POST', body: {} });
  assert.equal(failed.status, 500);
  assert.match(failed.json.error, /cli_invoke step "call" \(command "explode"\): disk full/);

  const unknown = await requestJson(`${url}/unknown`, { method: 'POST', body: {} });
  assert.equal(unknown.status, 500);
  assert.match(unknown.json.error, /cli_invoke step "call": no runner registered for command "deploy"/);
  assert.match(unknown.json.error, /registered: explode, greet/);
});

test('cli_invoke: plugin commands, host precedence, and a registry the host keeps registering into', async (t) => {
  const plugin: EnginePlugin = {
    manifest: { name: 'ops-commands', version: '1.0.0', description: 'test commands', tier: 'community' },
    cliCommands: { greet: () => 'from plugin', audit: () => ({ findings: 0 }) },
  };
  const registry = new CliCommandRegistry({ greet: (args) => `host ${args.length}` });
  const { engine, url } = await start({ cliCommands: registry }, [plugin]);
  t.after(() => engine.stop());
  const greet = await requestJson(`${url}/cli/greet`, { method: 'POST', body: { args: ['x'] } });
  assert.equal(greet.json.result, 'host 1', "the host's command wins over the plugin's");
  assert.deepEqual((await engine.executePipeline('audit')).result, { findings: 0 }, 'a plugin command');

  const unknown = await requestJson(`${url}/unknown`, { method: 'POST', body: {} });
  assert.match(unknown.json.error, /no runner registered for command "deploy"/);
  let deployed = 0;
  registry.register('deploy', () => {
    deployed++;
  });
  const now = await requestJson(`${url}/unknown`, { method: 'POST', body: {} });
  assert.equal(now.status, 202, now.text); // no response step: upstream's "workflow triggered"
  assert.equal(deployed, 1, 'a command registered after the build is found');
  assert.throws(() => registry.register('', () => undefined), /non-empty name/);
  assert.throws(() => registry.register('x', 'not a function' as never), /must be a function/);
});

test('cli_invoke: an app without commands fails the step saying how to register; bad config is located', async (t) => {
  const { engine } = await start({});
  t.after(() => engine.stop());
  await assert.rejects(
    engine.executePipeline('audit'),
    /cli_invoke step "call": no CLI commands are registered in this app; .*EngineOptions\.cliCommands/,
  );
  await rejectsWithIssue(
    Engine.fromText('pipelines:\n  p:\n    steps:\n      - { name: c, type: step.cli_invoke, config: {} }\n', {
      plugins: [pipelineStepsPlugin],
      logger: silentLogger(),
      baseDir: dir,
    }),
    'pipelines.p.steps[0].config.command',
    /command/,
  );
});
