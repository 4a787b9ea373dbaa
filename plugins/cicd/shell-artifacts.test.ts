// step.shell_exec in the local sandbox and the run artifacts over real HTTP: commands share one
// working directory (bound at work_dir), their output and the artifacts_out files land in a real
// storage.artifact module under the run's execution id; step.artifact_push/pull move files in and
// out (of this run, an earlier run, or a URL); failing commands, missing artifacts and bad config
// give clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowConfig } from '../../engine/index.ts';
import { httpPlugin } from '../http/index.ts';
import { pipelineStepsPlugin } from '../pipelinesteps/index.ts';
import { storagePlugin } from '../storage/index.ts';
import { rejectsWithIssue, requestJson, serveRoutes, TestApp } from '../testing/index.ts';
import { cicdPlugin } from './index.ts';

const plugins = [httpPlugin, pipelineStepsPlugin, storagePlugin, cicdPlugin];
const parse = { name: 'parse', type: 'step.request_parse', config: { parse_body: true, merge_body: true } };
const respond = { name: 'respond', type: 'step.json_response', config: { body_from: 'steps' } };

const config = (): WorkflowConfig => ({
  modules: [
    { name: 'server', type: 'http.server', config: { address: '127.0.0.1:0' } },
    { name: 'router', type: 'http.router', dependsOn: ['server'] },
    { name: 'artifacts', type: 'storage.artifact', config: { basePath: 'artifacts' } },
  ],
  pipelines: {
    build: {
      trigger: { type: 'http', config: { method: 'POST', path: '/build' } },
      steps: [
        {
          name: 'build',
          type: 'step.shell_exec',
          config: {
            image: 'alpine:3.20',
            work_dir: '/workspace',
            env: { NAME: 'demo' },
            commands: [
              'mkdir -p dist && printf "binary-of-$NAME" > dist/app && pwd',
              'cat /workspace/dist/app; echo " warning" >&2',
            ],
            artifacts_out: [{ key: 'app', path: '/workspace/dist/app' }],
          },
        },
        {
          name: 'pull',
          type: 'step.artifact_pull',
          config: { source: 'previous_execution', key: 'app', dest: 'out/{{ .meta.execution_id }}/app' },
        },
        respond,
      ],
    },
    push: {
      trigger: { type: 'http', config: { method: 'POST', path: '/push' } },
      steps: [
        parse,
        { name: 'push', type: 'step.artifact_push', config: { source_path: '{{ .file }}', key: 'report.txt' } },
        { name: 'id', type: 'step.set', config: { values: { execution_id: '{{ .meta.execution_id }}' } } },
        respond,
      ],
    },
    pull: {
      trigger: { type: 'http', config: { method: 'POST', path: '/pull' } },
      steps: [
        parse,
        {
          name: 'pull',
          type: 'step.artifact_pull',
          config: { source: 'previous_execution', execution_id: '{{ .run }}', key: '{{ .key }}', dest: 'got/x' },
        },
        respond,
      ],
    },
    fetch: {
      trigger: { type: 'http', config: { method: 'POST', path: '/fetch' } },
      steps: [
        parse,
        { name: 'pull', type: 'step.artifact_pull', config: { source: 'url', url: '{{ .url }}', dest: 'dl/file' } },
        respond,
      ],
    },
    fail: {
      trigger: { type: 'http', config: { method: 'POST', path: '/fail' } },
      steps: [
        {
          name: 'sh',
          type: 'step.shell_exec',
          config: { image: 'busybox:1.36', commands: ['echo ok', 'echo "no such target" >&2; exit 3', 'echo never'] },
        },
        respond,
      ],
    },
    escape: {
      trigger: { type: 'http', config: { method: 'POST', path: '/escape' } },
      steps: [
        {
          name: 'sh',
          type: 'step.shell_exec',
          config: {
            image: 'alpine:3.20',
            commands: ['ln -s /etc/hostname leak'],
            artifacts_out: [{ key: 'leak', path: 'leak' }],
          },
        },
        respond,
      ],
    },
  },
});

test('shell_exec runs commands in the sandbox and stores artifacts; artifact_push/pull move them', async (t) => {
  const files = await serveRoutes({
    'GET /file': { handleHttp: (_req, res) => void res.writeHead(200).end('remote-bytes') },
  });
  t.after(() => files.close());
  const app = new TestApp({ plugins, config: config() });
  t.after(() => app.stop());
  await (await app.build()).start();
  const port = app.services.get<{ address(): { port: number } }>('server')!.address().port;
  const post = (path: string, body: object = {}) =>
    requestJson(`http://127.0.0.1:${port}${path}`, { method: 'POST', body });

  const built = await post('/build');
  assert.equal(built.status, 200, JSON.stringify(built.json));
  const steps = built.json as Record<string, Record<string, unknown>>;
  assert.deepEqual(steps.build, {
    image: 'alpine:3.20',
    commands: [
      {
        command: 'mkdir -p dist && printf "binary-of-$NAME" > dist/app && pwd',
        exit_code: 0,
        stdout: '/workspace',
        stderr: '',
      },
      {
        command: 'cat /workspace/dist/app; echo " warning" >&2',
        exit_code: 0,
        stdout: 'binary-of-demo',
        stderr: 'warning',
      },
    ],
    artifacts: [{ key: 'app', path: '/workspace/dist/app' }],
  });
  // the artifact is in the storage.artifact module under the run's id, and pulled back by this run
  const pulled = String(steps.pull!.dest);
  const runId = pulled.split('/').at(-2)!;
  assert.match(runId, /^[0-9a-f-]{36}$/);
  assert.equal(readFileSync(join(app.dataDir, 'artifacts', runId, 'app'), 'utf8'), 'binary-of-demo');
  assert.equal(readFileSync(pulled, 'utf8'), 'binary-of-demo');
  assert.deepEqual(steps.pull, {
    source: 'previous_execution',
    key: 'app',
    dest: join(app.configDir, 'out', runId, 'app'),
    size: 14,
    bytes_written: 14,
  });

  // push a file in one run; pull it from another run by that run's id
  const report = join(app.configDir, 'report.txt');
  writeFileSync(report, 'all green\n');
  const pushed = await post('/push', { file: report });
  assert.equal(pushed.status, 200, JSON.stringify(pushed.json));
  const p = pushed.json as Record<string, Record<string, unknown>>;
  assert.deepEqual(p.push, {
    key: 'report.txt',
    size: 10,
    checksum: createHash('sha256').update('all green\n').digest('hex'),
    dest: 'artifact_store',
  });
  const got = await post('/pull', { run: p.id!.execution_id, key: 'report.txt' });
  assert.equal(got.status, 200, JSON.stringify(got.json));
  assert.equal(readFileSync(join(app.configDir, 'got', 'x'), 'utf8'), 'all green\n');
  const missing = await post('/pull', { run: p.id!.execution_id, key: 'nope.txt' });
  assert.equal(missing.status, 404);
  assert.match(
    String(missing.json.error),
    /artifact_pull step "pull": failed to get artifact "nope.txt" from execution/,
  );

  // a URL source: 200 is written, anything else is an error naming the status
  const fetched = await post('/fetch', { url: `${files.url}/file` });
  assert.equal(fetched.status, 200, JSON.stringify(fetched.json));
  assert.equal(readFileSync(join(app.configDir, 'dl', 'file'), 'utf8'), 'remote-bytes');
  const notThere = await post('/fetch', { url: `${files.url}/gone` });
  assert.equal(notThere.status, 500);
  assert.match(String(notThere.json.error), /artifact_pull step "pull": HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/gone/);

  // a failing command stops the step with its exit code and stderr; later commands do not run
  const failed = await post('/fail');
  assert.equal(failed.status, 500);
  assert.match(String(failed.json.error), /shell_exec step "sh": command 1 exited with code 3: no such target$/);

  // an artifact that is a symlink out of the working directory is refused
  const escaped = await post('/escape');
  assert.equal(escaped.status, 500);
  assert.match(String(escaped.json.error), /failed to read artifact "leak" at leak: it resolves outside the working/);
  assert.equal(existsSync(join(app.dataDir, 'artifacts', 'leak')), false);
});

test('shell_exec and artifact steps: config mistakes are located; no store is a clear run error', async () => {
  for (const [step, path, message] of [
    [{ type: 'step.shell_exec', config: { commands: ['true'] } }, 'image', /required/],
    [{ type: 'step.shell_exec', config: { image: 'alpine', commands: [] } }, 'commands', /must be non-empty/],
    [{ type: 'step.shell_exec', config: { image: 'alpine', commands: [1] } }, 'commands[0]', /must be a string/],
    [{ type: 'step.shell_exec', config: { image: 'a', commands: ['x'], work_dir: 'rel' } }, 'work_dir', /absolute/],
    [
      { type: 'step.shell_exec', config: { image: 'a', commands: ['x'], artifacts_out: [{ key: 'k' }] } },
      'artifacts_out[0]',
      /requires 'key' and 'path'/,
    ],
    [
      {
        type: 'step.shell_exec',
        config: { image: 'a', commands: ['x'], work_dir: '/w', artifacts_out: [{ key: 'k', path: '/etc/passwd' }] },
      },
      'artifacts_out[0].path',
      /not a file inside the working directory/,
    ],
    [{ type: 'step.artifact_push', config: { key: 'k' } }, 'source_path', /required/],
    [
      { type: 'step.artifact_pull', config: { source: 'ftp', dest: 'x' } },
      'source',
      /one of: previous_execution, url, s3/,
    ],
    [{ type: 'step.artifact_pull', config: { source: 'url', dest: 'x' } }, 'url', /required/],
    [{ type: 'step.artifact_pull', config: { source: 's3', dest: 'x' } }, 'key', /required/],
  ] as const) {
    const app = new TestApp({
      plugins,
      config: { pipelines: { p: { steps: [{ name: 's', ...step }] } } } as WorkflowConfig,
    });
    await rejectsWithIssue(app.build(), `pipelines.p.steps[0].config.${path}`, message);
    await app.stop();
  }

  const app = new TestApp({
    plugins,
    config: {
      pipelines: {
        p: {
          steps: [{ name: 'push', type: 'step.artifact_push', config: { source_path: '/etc/hostname', key: 'k' } }],
        },
      },
    } as WorkflowConfig,
  });
  try {
    await (await app.build()).start();
    await assert.rejects(app.executePipeline('p'), /artifact_push step "push": artifact store not found/);
  } finally {
    await app.stop();
  }
});
