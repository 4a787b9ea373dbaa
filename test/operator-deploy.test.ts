// wfctl deploy: an engine config becomes a WorkflowApp (printed with --dry-run, applied otherwise,
// followed to Ready with --wait); a broken config is refused before anything reaches the cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { repoRoot, startHarness, type Harness } from './operator-harness.ts';

const exec = promisify(execFile);
let h: Harness;

before(async () => {
  h = await startHarness({ pods: 'standin' });
  await h.startOperator();
});
after(async () => {
  await h?.stop();
});

async function wfctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(repoRoot, 'bin/wfctl.js'), ...args], {
      cwd: repoRoot,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const hello = 'examples/hello/workflow.yaml';

test('--dry-run prints the WorkflowApp for an engine config (yaml and json)', { timeout: 60_000 }, async () => {
  const yaml = await wfctl('deploy', hello, '--dry-run', '--replicas', '2', '--strategy', 'Canary', '-n', 'team-a');
  assert.equal(yaml.code, 0, yaml.stderr);
  const fromConfig = parse(yaml.stdout);
  assert.equal(fromConfig.kind, 'WorkflowApp');
  assert.deepEqual([fromConfig.metadata.name, fromConfig.metadata.namespace], ['hello', 'team-a']);
  assert.equal(fromConfig.spec.config, readFileSync(join(repoRoot, hello), 'utf8'));
  assert.deepEqual([fromConfig.spec.replicas, fromConfig.spec.strategy.type], [2, 'Canary']);
  const json = await wfctl('deploy', hello, '--dry-run', '-o', 'json', '--name', 'greet');
  assert.equal(JSON.parse(json.stdout).metadata.name, 'greet');
  const manifest = await wfctl('deploy', 'examples/greeter.workflowapp.yaml', '--dry-run', '--replicas', '5');
  const app = parse(manifest.stdout);
  assert.deepEqual(
    [app.metadata.name, app.spec.replicas, app.spec.service.type],
    ['greeter', 5, 'LoadBalancer'],
    'a WorkflowApp manifest keeps its spec; flags override',
  );
});

test('a broken config is refused with file:line:column and nothing is applied', { timeout: 60_000 }, async () => {
  const bad = join(h.dir, 'bad.yaml');
  writeFileSync(bad, readFileSync(join(repoRoot, hello), 'utf8').replace('type: http.router', 'type: http.routr'));
  const r = await wfctl('deploy', bad, '--kubeconfig', h.kubeconfig);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.yaml:\d+:\d+: error: unknown module type "http\.routr"/);
  assert.match(r.stderr, /nothing was applied/);
  assert.equal((await h.kubectl('get', 'wfa', '-o', 'name')).trim(), '');
  const flags = await wfctl('deploy', hello, '--replicas', 'two', '--dry-run');
  assert.match(flags.stderr, /--replicas must be a whole number/);
});

test('deploy --wait applies it, follows it to Ready and prints the endpoint; a second deploy configures it', {
  timeout: 120_000,
}, async () => {
  const r = await wfctl(
    'deploy',
    hello,
    '--kubeconfig',
    h.kubeconfig,
    '--service-type',
    'LoadBalancer',
    '--wait',
    '--timeout',
    '90s',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /workflowapp\.workflow\.gocodealone\.com\/hello created in namespace default/);
  assert.match(r.stdout, /hello is Ready/);
  const endpoint = /endpoint: (http:\/\/\S+)/.exec(r.stdout)?.[1];
  assert.ok(endpoint, r.stdout);
  assert.equal((await fetch(`${endpoint}/readyz`)).status, 200);
  const again = await wfctl('deploy', hello, '--kubeconfig', h.kubeconfig, '--replicas', '2');
  assert.match(again.stdout, /hello configured/);
  assert.equal((await h.json('get', 'wfa', 'hello')).spec.replicas, 2);
});

test('a cluster without the CRD gets a hint to install it', { timeout: 60_000 }, async () => {
  await h.kubectl('delete', 'crd', 'workflowapps.workflow.gocodealone.com');
  const r = await wfctl('deploy', hello, '--kubeconfig', h.kubeconfig, '--name', 'later');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not know WorkflowApps/);
  assert.match(r.stderr, /kubectl apply -k crds/);
});
