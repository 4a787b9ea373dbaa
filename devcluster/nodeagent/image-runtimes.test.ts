import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  defaultImageTable,
  expandTemplate,
  findRuntime,
  imageMatches,
  loadRuntimesFile,
  RuntimeFileError,
  translateServerArgs,
} from './image-runtimes.ts';

test('image patterns: registry and path ignored without "/", any tag without ":", digests ignored', () => {
  assert.ok(imageMatches('workflow-engine:*', 'workflow-engine:dev'));
  assert.ok(imageMatches('workflow-engine:*', 'ghcr.io/acme/workflow-engine:1.2@sha256:abc'));
  assert.ok(imageMatches('workflow-engine:*', 'localhost:5000/workflow-engine'));
  assert.ok(imageMatches('tiny-engine', 'tiny-engine:v1'));
  assert.ok(imageMatches('workflow-server-*:*', 'workflow-server-admin:local'));
  assert.ok(!imageMatches('workflow-server-*:*', 'workflow-server:local'));
  assert.ok(imageMatches('ghcr.io/gocodealone/workflow:*', 'ghcr.io/gocodealone/workflow:v0.3.1'));
  assert.ok(!imageMatches('ghcr.io/gocodealone/workflow:*', 'docker.io/gocodealone/workflow:v0.3.1'));
  assert.ok(!imageMatches('workflow-engine:*', 'nginx:1.27'));
  assert.ok(!imageMatches('python:3*', 'python:2.7'));
});

test('the built-in table: our engine, and upstream server images with their flags translated', () => {
  const table = defaultImageTable();
  assert.deepEqual(
    table.map(([p]) => p),
    [
      'workflow-engine:*',
      'workflow-server-admin:*',
      'workflow-server:*',
      'workflow-server-*:*',
      'ghcr.io/gocodealone/workflow:*',
    ],
  );
  assert.equal(findRuntime(table, 'workflow-engine:dev')?.entrypointName, 'wfctl');
  // upstream's image with the admin plugin built in runs our engine with the admin
  assert.deepEqual(
    findRuntime(table, 'workflow-server-admin:local')?.translateArgs?.([
      '-config',
      '/app/app.yaml',
      '-data-dir',
      '/data',
    ]),
    { args: ['run', '--admin', '--data-dir', '/data', '/app/app.yaml'], env: {} },
  );
  assert.equal(findRuntime(table, 'workflow-server-other:1')?.translateArgs?.([]).args[0], 'run');
  assert.equal(findRuntime(table, 'nginx'), undefined);
  assert.equal(findRuntime(defaultImageTable('my-engine'), 'my-engine:1')?.entrypointName, 'wfctl');
});

test("upstream server flags become wfctl run's arguments and environment", () => {
  assert.deepEqual(translateServerArgs(['-config', '/config/app.yaml', '-data-dir', '/data']), {
    args: ['run', '--data-dir', '/data', '/config/app.yaml'],
    env: {},
  });
  assert.deepEqual(
    translateServerArgs([
      '--config=/app/app.yaml',
      '-addr',
      ':8080',
      '-plugin-dir',
      '/plugins',
      '-jwt-secret=s',
      '-watch',
    ]),
    {
      args: ['run', '/app/app.yaml'],
      env: {
        WORKFLOW_ADDR: ':8080',
        WORKFLOW_PLUGIN_DIR: '/plugins',
        WORKFLOW_JWT_SECRET: 's',
        WORKFLOW_WATCH: 'true',
      },
    },
  );
  assert.deepEqual(translateServerArgs([]), { args: ['run'], env: {} });
  assert.throws(() => translateServerArgs(['-frobnicate', 'x']), /flag provided but not defined: -frobnicate/);
  assert.throws(() => translateServerArgs(['-config']), /flag needs an argument: -config/);
});

const only = (primary: number) => ({ primary, byPodPort: new Map<number, number>() });

test('runtime templates: {{command}} and {{args}} splice, {{port}} substitutes, args append otherwise', () => {
  assert.deepEqual(
    expandTemplate(['python3', '-m', 'http.server', '{{port}}'], { args: ['-b', '127.0.0.1'] }, only(4100)),
    ['python3', '-m', 'http.server', '4100', '-b', '127.0.0.1'],
  );
  assert.deepEqual(expandTemplate(['{{command}}', '{{args}}'], { command: ['sh', '-c'], args: ['echo hi'] }, only(1)), [
    'sh',
    '-c',
    'echo hi',
  ]);
  assert.deepEqual(expandTemplate(['srv', '--listen=127.0.0.1:{{port}}'], {}, only(9)), [
    'srv',
    '--listen=127.0.0.1:9',
  ]);
  assert.throws(() => expandTemplate(['srv'], { command: ['other'] }, only(1)), /fixed entrypoint/);
});

test('runtime templates: {{port:N}} is the loopback port of pod port N, an error for a port the pod lacks', () => {
  const ports = {
    primary: 41000,
    byPodPort: new Map([
      [8080, 41000],
      [8081, 41001],
    ]),
  };
  assert.deepEqual(expandTemplate(['srv', '--http={{port:8080}}', '--admin=127.0.0.1:{{port:8081}}'], {}, ports), [
    'srv',
    '--http=41000',
    '--admin=127.0.0.1:41001',
  ]);
  assert.throws(() => expandTemplate(['srv', '{{port:9090}}'], {}, ports), /9090 is not a port of this pod/);
});

test('runtimes files: a mapping of patterns to command lists, with clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runtimes-'));
  try {
    const file = join(dir, 'runtimes.yaml');
    writeFileSync(file, '"python:3*": [python3, -m, http.server, "{{port}}"]\nbusybox: ["{{command}}", "{{args}}"]\n');
    const table = loadRuntimesFile(file);
    assert.deepEqual(
      table.map(([p, r]) => [p, r.command, r.template]),
      [
        ['python:3*', ['python3', '-m', 'http.server', '{{port}}'], true],
        ['busybox', ['{{command}}', '{{args}}'], true],
      ],
    );
    writeFileSync(file, 'nginx: python3 -m http.server\n');
    assert.throws(
      () => loadRuntimesFile(file),
      (e: Error) =>
        e instanceof RuntimeFileError &&
        /"nginx": the command template must be a non-empty list of strings/.test(e.message),
    );
    writeFileSync(file, '- nginx\n');
    assert.throws(() => loadRuntimesFile(file), /expected a mapping of image patterns to command templates/);
    writeFileSync(file, 'a: [b\n');
    assert.throws(
      () => loadRuntimesFile(file),
      new RegExp(`^Error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
