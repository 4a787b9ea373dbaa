import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile, readConfigText, loadConfigFile } from './config-loader.ts';
import { ConfigError } from './config-issue.ts';
import { expandConfig, expandString } from './env-expansion.ts';
import { orderModules } from './module-order.ts';
import { checkConstraint } from './version-constraint.ts';
import { parseDuration } from './duration.ts';

const dir = mkdtempSync(join(tmpdir(), 'wf-loader-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
};

test('imports merge depth-first relative to each file; the importing file wins', () => {
  write(
    'shared/base.yaml',
    'imports: [deeper.yaml]\nmodules:\n  - { name: db, type: database.workflow, config: { dsn: from-base } ' +
      '}\n  - { name: cache, type: cache.modular }\npipelines:\n  p1: { steps: [] }\n  p2: { steps: [] }\n',
  );
  write('shared/deeper.yaml', 'modules:\n  - { name: deep, type: x.deep }\nworkflows:\n  http: { routes: [] }\n');
  const main = write(
    'main.yaml',
    'imports: [shared/base.yaml]\nmodules:\n  - { name: db, type: database.workflow, config: { dsn: from-main ' +
      '} }\npipelines:\n  p1: { steps: [{ name: s, type: step.set }] }\n',
  );
  const loaded = loadConfigFile(main);
  assert.deepEqual(
    loaded.config.modules!.map((m) => `${m.name}:${String(m.config?.dsn ?? '')}`),
    ['db:from-main', 'cache:', 'deep:'],
  );
  assert.deepEqual(Object.keys(loaded.config.pipelines!), ['p1', 'p2']);
  assert.equal(loaded.config.pipelines!.p1!.steps!.length, 1, 'the main file wins per key');
  assert.ok(loaded.config.workflows!.http);
  assert.equal(loaded.config.imports, undefined);
  assert.equal(loaded.files.length, 3);
  // locations survive the merge: the imported module points into its own file
  const loc = loaded.locate(['modules', 1, 'type']);
  assert.ok(loc.file.endsWith(join('shared', 'base.yaml')));
  assert.equal(loc.line, 4);
  assert.equal(loaded.dirOf(loaded.config.modules![2]), join(dir, 'shared'));
});

test('import cycles and missing imports are located errors', () => {
  write('a.yaml', 'imports: [b.yaml]\nmodules: []\n');
  write('b.yaml', 'imports:\n  - a.yaml\n');
  const cyc = readConfigFile(join(dir, 'a.yaml'));
  assert.equal(cyc.issues.length, 1);
  assert.match(cyc.issues[0]!.message, /circular import: .*a\.yaml -> .*b\.yaml -> .*a\.yaml/);
  assert.ok(cyc.issues[0]!.file.endsWith('b.yaml'));
  assert.equal(cyc.issues[0]!.line, 2);
  const missing = readConfigText('modules: []\nimports:\n  - nope.yaml\n', { file: 'x.yaml', baseDir: dir });
  assert.match(missing.issues[0]!.message, /cannot read .*nope\.yaml: not found/);
  assert.deepEqual([missing.issues[0]!.line, missing.issues[0]!.column], [3, 5]);
  assert.throws(
    () => loadConfigFile(join(dir, 'absent.yaml')),
    (e: unknown) => e instanceof ConfigError && /cannot read config file: not found/.test(e.message),
  );
});

test('YAML errors are one located issue; a non-map document is rejected', () => {
  const bad = readConfigText('modules:\n  - name: a\n   type: b\n', { file: 'bad.yaml' });
  assert.equal(bad.issues.length, 1);
  assert.equal(bad.issues[0]!.file, 'bad.yaml');
  assert.equal(bad.issues[0]!.line, 3);
  assert.match(bad.issues[0]!.message, /^invalid YAML/);
  assert.match(readConfigText('[1, 2]').issues[0]!.message, /must be a YAML map/);
  assert.match(readConfigText('a: 1\na: 2\n').issues[0]!.message, /unique/);
  assert.deepEqual(readConfigText('').config, {});
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++)
    laughs.push(
      `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
        .fill('*' + 'abcdefghij'[i - 1])
        .join(', ')}]`,
    );
  assert.match(readConfigText(laughs.join('\n')).issues[0]!.message, /aliases expand to more than/);
  assert.deepEqual(readConfigText('base: &b { x: 1 }\nuse: *b\nmerged: { <<: *b, y: 2 }\n').config, {
    base: { x: 1 },
    use: { x: 1 },
    merged: { x: 1, y: 2 },
  });
});

test('application configs merge their workflow files; duplicate names are errors', () => {
  write(
    'app/orders.yaml',
    'modules:\n  - { name: server, type: http.server }\nworkflows:\n  http: { routes: [{ path: /a }] ' +
      '}\npipelines:\n  create: { steps: [] }\n',
  );
  write(
    'app/billing.yaml',
    'workflows:\n  http: { routes: [{ path: /b }], server: ignored }\npipelines:\n  bill: { steps: [] }\n',
  );
  const app = write(
    'app/app.yaml',
    'application:\n  name: shop\n  workflows:\n    - file: orders.yaml\n    - file: billing.yaml\n',
  );
  const loaded = loadConfigFile(app);
  assert.equal(loaded.config.name, 'shop');
  assert.deepEqual(Object.keys(loaded.config.pipelines!), ['create', 'bill']);
  assert.deepEqual(
    (loaded.config.workflows!.http as { routes: Array<{ path: string }> }).routes.map((r) => r.path),
    ['/a', '/b'],
  );
  write('app/dup.yaml', 'pipelines:\n  create: { steps: [] }\n');
  const dupApp = write('app/dup-app.yaml', 'application:\n  workflows: [{ file: orders.yaml }, { file: dup.yaml }]\n');
  const r = readConfigFile(dupApp);
  assert.equal(r.issues.length, 1);
  assert.match(r.issues[0]!.message, /pipeline "create" is defined in both .*orders\.yaml and .*dup\.yaml/);
  assert.ok(r.issues[0]!.file.endsWith('dup.yaml'));
});

test('${VAR} expansion: env and env: forms; unresolvable strings stay as written; $VAR is literal', () => {
  const env = { HOST: 'db.local', PORT: '5432' };
  assert.equal(expandString('${HOST}:${env:PORT}', { env }), 'db.local:5432');
  assert.equal(expandString('${HOST}:${MISSING}', { env }), '${HOST}:${MISSING}');
  assert.equal(expandString('$HOST', { env }), '$HOST');
  assert.equal(
    expandString('${vault:secret/db#password}', {
      env,
      secretProviders: { vault: (ref) => (ref === 'secret/db#password' ? 's3cret' : undefined) },
    }),
    's3cret',
  );
  assert.deepEqual(expandConfig({ a: ['${HOST}', 1], b: { c: '${PORT}' } }, { env }), {
    a: ['db.local', 1],
    b: { c: '5432' },
  });
});

test('module order: dependsOn first, declared order breaks ties, cycles are named', () => {
  const r = orderModules([
    { name: 'router', dependsOn: ['server'] },
    { name: 'server', dependsOn: [] },
    { name: 'db', dependsOn: ['ghost'] },
    { name: 'api', dependsOn: ['router', 'db'] },
  ]);
  assert.ok(r.ok);
  assert.deepEqual(r.order, [1, 0, 2, 3]);
  const c = orderModules([
    { name: 'a', dependsOn: ['b'] },
    { name: 'b', dependsOn: ['c'] },
    { name: 'c', dependsOn: ['a'] },
    { name: 'd', dependsOn: [] },
  ]);
  assert.equal(c.ok, false);
  assert.deepEqual(!c.ok && c.cycle, ['a', 'b', 'c', 'a']);
});

test('plugin version constraints and Go durations', () => {
  assert.equal(checkConstraint('1.2.3', '>=1.0.0'), null);
  assert.equal(checkConstraint('1.2.3', '^1.0.0'), null);
  assert.match(checkConstraint('2.0.0', '^1.0.0')!, /does not satisfy/);
  assert.equal(checkConstraint('1.4.9', '~1.4.0'), null);
  assert.match(checkConstraint('1.5.0', '~1.4.0')!, /does not satisfy/);
  assert.equal(checkConstraint('v1.0.0', '1.0.0'), null);
  assert.match(checkConstraint('1.0.0', '>=abc')!, /cannot parse/);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('300ms'), 300);
  assert.equal(parseDuration(10), 10_000);
  assert.throws(() => parseDuration('10 minutes'), /invalid duration/);
});
