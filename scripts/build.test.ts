// The build (scripts/build.ts) into a temp dir: each command loads lazily, and dist/ behaves as the
// sources do, precompiled validators included.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Metafile } from 'esbuild';
import { buildDist } from './build.ts';

const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, '.tmp'), { recursive: true });
const out = mkdtempSync(join(root, '.tmp', 'build-test-'));
const work = mkdtempSync(join(root, '.tmp', 'build-test-input-'));
let meta: Metafile;

before(async () => {
  meta = await buildDist(out);
});
after(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** What an output loads when it is imported: its static imports, transitively. */
function staticLoad(output: string, seen = new Set<string>()): { packages: Set<string>; bundled: Set<string> } {
  const packages = new Set<string>();
  const bundled = new Set<string>();
  if (seen.has(output)) return { packages, bundled };
  seen.add(output);
  for (const input of Object.keys(meta.outputs[output]!.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    if (pkg) bundled.add(pkg);
  }
  for (const i of meta.outputs[output]!.imports) {
    if (i.kind !== 'import-statement') continue;
    if (i.external) packages.add(i.path);
    else {
      const inner = staticLoad(i.path, seen);
      for (const p of inner.packages) packages.add(p);
      for (const p of inner.bundled) bundled.add(p);
    }
  }
  return { packages, bundled };
}

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

test('wfctl and each command module load only commander and Node built-ins when they start', () => {
  const starts = Object.entries(meta.outputs).filter(
    ([, o]) => o.entryPoint === 'cli/wfctl.ts' || /^cli\/commands\/[^/]+\.ts$/.test(o.entryPoint ?? ''),
  );
  assert.ok(starts.length > 5, `expected the CLI and its command modules among the outputs, got ${starts.length}`);
  for (const [output, o] of starts) {
    const { packages, bundled } = staticLoad(output);
    const heavy = [...packages, ...bundled].filter((p) => p !== 'commander' && !builtins.has(p));
    assert.deepEqual(heavy, [], `${o.entryPoint} imports ${heavy.join(', ')} at start: import them in its actions`);
  }
});

test('wfctl registry index loads the index builder only: no server, git, SQLite or logger', () => {
  const [output] = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === 'cli/commands/registry/checkout.ts')!;
  const { packages, bundled } = staticLoad(output);
  const loaded = [...packages].filter((p) => !builtins.has(p)).map((p) => p.replace(/^((?:@[^/]+\/)?[^/]+).*$/, '$1'));
  assert.ok(bundled.has('yaml') && bundled.has('semver'), 'yaml and semver are bundled into the chunks');
  assert.ok(!bundled.has('tar'), 'node-tar loads with the first stored archive, not at start');
  // the precompiled validators (dist/validator-*.cjs, with ajv's runtime helpers) load on first use
  assert.deepEqual([...new Set(loaded)], [], 'nothing loads from node_modules at start');
});

/** Runs wfctl from the build and from the sources; both must print and exit the same. */
function sameAsSources(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = (argv: string[]) => {
    const r = spawnSync(process.execPath, [...argv, ...args], { cwd: work, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const built = run([join(out, 'wfctl.js')]);
  const sources = run(['--import', 'tsx', join(root, 'cli', 'wfctl.ts')]);
  assert.deepEqual(built, sources, `wfctl ${args.join(' ')}: dist and sources differ`);
  return built;
}

test('precompiled validators: a bad workflow config gets the same errors as from the sources', () => {
  writeFileSync(join(work, 'bad.yaml'), 'modules:\n  - name: web\n    type: 42\n');
  const r = sameAsSources(['validate', 'bad.yaml']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /bad\.yaml:3:11: error: must be a string/);
});

test('precompiled validators: a bad plugin manifest gets the same errors as from the sources', () => {
  mkdirSync(join(work, 'registry', 'plugins', 'demo'), { recursive: true });
  writeFileSync(
    join(work, 'registry', 'plugins', 'demo', 'manifest.json'),
    JSON.stringify({ name: 'demo', version: '1.0.0', tier: 'gold' }, null, 2),
  );
  const r = sameAsSources(['registry', 'validate', 'registry']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /plugins\/demo\/manifest\.json:\d+:\d+: error/);
});

test('precompiled validators: a bad WorkflowApp gets the same errors as from the sources', () => {
  writeFileSync(
    join(work, 'app.yaml'),
    'apiVersion: workflow.gocodealone.com/v1alpha1\nkind: WorkflowApp\nmetadata:\n  name: demo\n' +
      'spec:\n  config: "modules: []"\n  replicas: many\n',
  );
  const r = sameAsSources(['deploy', 'app.yaml', '--dry-run']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /spec\.replicas/);
});

test('a bundled CommonJS package keeps its named exports when a command imports it dynamically', () => {
  // cli/commands/schema.ts: const { stringify } = await import('yaml'), yaml being bundled
  const r = sameAsSources(['schema', '-o', 'yaml']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\$schema: /m);
});
