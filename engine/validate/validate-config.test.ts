import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfigText } from './validate-config.ts';
import { formatIssue } from '../config-issue.ts';
import type { EnginePlugin } from '../contract.ts';

// a small plugin set, so these tests do not depend on the real plugins
const plugin: EnginePlugin = {
  manifest: { name: 'test-plugin', version: '1.2.0', description: 'test', tier: 'core' },
  modules: {
    'http.server': () => ({ name: 's', type: 'http.server' }),
    'store.db': () => ({ name: 'd', type: 'store.db' }),
  },
  moduleSchemas: {
    'store.db': {
      description: 'db',
      configFields: [
        { key: 'dsn', type: 'string', required: true, description: 'connection string' },
        { key: 'maxConns', type: 'number' },
        { key: 'mode', type: 'select', options: ['ro', 'rw'] },
      ],
    },
  },
  steps: {
    'step.set': () => ({ name: 'x', type: 'step.set', execute: async () => ({}) }),
    'step.goto': () => ({ name: 'g', type: 'step.goto', execute: async () => ({}) }),
  },
  stepSchemas: {
    'step.goto': {
      description: 'jump',
      configFields: [{ key: 'to', type: 'string', required: true }],
      validate: (cfg, ctx) =>
        ctx?.pipelineStepNames?.includes(String(cfg.to))
          ? []
          : [{ message: `no step "${String(cfg.to)}"`, path: ['to'] }],
    },
  },
  triggers: { http: () => ({ type: 'http', configure() {} }) },
  workflowHandlers: {
    http: () => ({ canHandle: (t: string) => t === 'http', configure() {}, execute: async () => ({}) }),
  },
  pipelineTriggerWrappers: { http: (n) => ({ triggerType: 'http', config: { name: n } }) },
};
const v = (yaml: string) => validateConfigText(yaml, { plugins: [plugin], file: 'app.yaml' });
const lines = (r: ReturnType<typeof v>, kind: 'errors' | 'warnings' = 'errors') => r[kind].map((i) => formatIssue(i));

test('a clean config passes', () => {
  const r = v(
    'modules:\n  - { name: server, type: http.server }\n  - { name: db, type: store.db, config: { dsn: "x" } }\n',
  );
  assert.deepEqual(lines(r), []);
  assert.equal(r.ok, true);
});

test('module rules: unknown types (with suggestions), duplicates, dependsOn targets, cycles, required keys', () => {
  const r = v(`modules:
  - { name: server, type: http.sever }
  - { name: db, type: store.db, config: { dsn: "" } }
  - { name: db, type: store.db, config: { dsn: x, mode: wr } }
  - { name: a, type: store.db, dependsOn: [b, ghost], config: { dsn: x } }
  - { name: b, type: store.db, dependsOn: [a], config: {} }
  - { name: s, type: step.set }
`);
  const out = lines(r).join('\n');
  assert.match(
    out,
    /app\.yaml:2:27: unknown module type "http\.sever" \(module server\)\n {2}hint: did you mean "http\.server"\?/,
  );
  assert.match(out, /app\.yaml:3:\d+: required config key "dsn" must be a non-empty string \(module db\)/);
  assert.match(out, /app\.yaml:4:\d+: duplicate module name "db" \(first defined at app\.yaml:3:5\)/);
  assert.match(out, /app\.yaml:4:\d+: "mode" must be one of: ro, rw \(got "wr"\)/);
  assert.match(out, /app\.yaml:5:\d+: depends on undefined module "ghost" \(module a\)/);
  assert.match(
    out,
    /app\.yaml:6:\d+: required config key "dsn" is missing \(module b\)\n {2}hint: dsn: connection string/,
  );
  assert.match(out, /module dependsOn cycle: a -> b -> a/);
  assert.match(
    out,
    /app\.yaml:7:\d+: unknown module type "step\.set" \(module s\)\n {2}hint: step\.set is a pipeline step type/,
  );
});

test('snake_case keys and misspelled module keys are warnings', () => {
  const r = v(
    'modules:\n  - name: db\n    type: store.db\n    depends_on: [x]\n    config: { dsn: x, max_conns: 3 }\n',
  );
  assert.equal(r.ok, true);
  const out = lines(r, 'warnings').join('\n');
  assert.match(
    out,
    /app\.yaml:4:5: unknown module key "depends_on" is ignored \(module db\)\n {2}hint: did you mean "dependsOn"\?/,
  );
  assert.match(out, /config key "max_conns" is snake_case; this type reads "maxConns"/);
});

test('pipeline rules: step names, known types, per-type checks with step names, templates, references', () => {
  const r = v(`modules: [{ name: server, type: http.server }]
pipelines:
  p:
    trigger: { type: http, config: { path: /x } }
    steps:
      - { name: a, type: step.set, config: { v: "{{ .steps.j.x }} {{ .steps.zzz.y }}" } }
      - { name: a, type: step.set }
      - { name: j, type: step.goto, config: { to: nowhere } }
      - { name: t, type: step.teleport }
      - { name: bad, type: step.set, config: { v: "{{ if }}" }, timeout: forever }
  q:
    trigger: { type: carrier-pigeon }
    on_error: retry
`);
  const errs = lines(r).join('\n');
  assert.match(errs, /app\.yaml:7:\d+: duplicate step name "a"/);
  assert.match(errs, /app\.yaml:8:\d+: no step "nowhere" \(pipeline p step j\)/);
  assert.match(errs, /app\.yaml:9:\d+: unknown step type "step\.teleport"/);
  assert.match(errs, /app\.yaml:10:\d+: template syntax error: missing value for if/);
  assert.match(errs, /invalid duration "forever"/);
  assert.match(errs, /app\.yaml:13:\d+: must be one of: "stop", "skip", "compensate" \(pipeline q\)/);
  const warns = lines(r, 'warnings').join('\n');
  assert.match(warns, /template refers to step "zzz", which is not defined in this pipeline/);
  assert.doesNotMatch(warns, /step "j"/);
  assert.match(warns, /no trigger of type "carrier-pigeon" can start this pipeline/);
  const strict = v(
    `engine: { validation: { templateRefs: error } }\npipelines:\n  p:\n    steps:\n      - { name: a, type: ` +
      `step.set, config: { v: "{{ .steps.nope.x }}" } }\n`,
  );
  assert.match(lines(strict).join('\n'), /template refers to step "nope"/);
});

test('workflow and trigger types, requires, entry points', () => {
  const r = v(`modules: [{ name: db, type: store.db, config: { dsn: x } }]
workflows:
  htp: {}
triggers:
  cron: {}
requires:
  plugins:
    - { name: test-plugin, version: ">=2.0.0" }
    - { name: messaging }
`);
  const out = lines(r).join('\n');
  assert.match(
    out,
    new RegExp(
      String.raw`app\.yaml:3:3: unknown workflow type "htp": no workflow handler is loaded for it \(workflows\.htp\)` +
        String.raw`\n {2}hint: did you mean "http"\?`,
    ),
  );
  assert.match(out, /app\.yaml:5:3: unknown trigger type "cron"/);
  assert.match(out, /plugin "test-plugin" version 1\.2\.0 does not satisfy ">=2\.0\.0"/);
  assert.match(out, /requires plugin "messaging", which is not loaded/);
  const noEntry = v('modules: [{ name: db, type: store.db, config: { dsn: x } }]\n');
  assert.equal(noEntry.ok, true);
  assert.match(lines(noEntry, 'warnings').join('\n'), /no entry points/);
  assert.deepEqual(
    validateConfigText('modules: [{ name: db, type: store.db, config: { dsn: x } }]\n', {
      plugins: [plugin],
      allowNoEntryPoints: true,
    }).warnings,
    [],
  );
});

test('schema problems are located at the offending value', () => {
  const r = v('modules:\n  - name: 12\n    type: http.server\n    config: [1]\npipelines:\n  p:\n    steps: {}\n');
  const out = lines(r).join('\n');
  assert.match(out, /app\.yaml:2:11: must be a string \(module 12\)/);
  assert.match(out, /app\.yaml:4:13: must be a map or empty/);
  assert.match(out, /app\.yaml:7:12: must be a list or empty \(pipeline p\)/);
});

test('module config is checked with ${VAR} expanded; unresolvable references only need presence', () => {
  const plugins = [
    {
      ...plugin,
      moduleSchemas: {
        ...plugin.moduleSchemas,
        'store.db': {
          ...plugin.moduleSchemas!['store.db']!,
          validate: (cfg: Record<string, unknown>) =>
            String(cfg.dsn).startsWith('db://') ? [] : [{ message: 'dsn must start with db://', path: ['dsn'] }],
        },
      },
    },
  ];
  const yaml =
    'modules:\n  - { name: server, type: http.server }\n  - { name: db, type: store.db, config: { dsn: "${DSN}" } }\n';
  assert.equal(validateConfigText(yaml, { plugins, env: { DSN: 'db://x' } }).ok, true);
  assert.match(
    validateConfigText(yaml, { plugins, env: { DSN: 'mysql://x' } }).errors[0]!.message,
    /dsn must start with db:\/\//,
  );
  assert.equal(validateConfigText(yaml, { plugins, env: {} }).ok, true, 'set where the app runs');
});
