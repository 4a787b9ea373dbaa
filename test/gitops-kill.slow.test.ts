// SIGKILL mid-sync: `wfctl operator` is killed while it applies a 300-app repository; while it is
// down a push removes 30 apps; a fresh process takes over (after the dead one's Lease expires) and
// converges: exactly the apps in git exist, each once, tracked by the source; nothing it synced
// earlier is left behind (pruned), and each app has its own objects once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually, spawnOperator, startHarness, type Harness } from './operator-harness.ts';
import { sourceStatus, sourceYaml, startGitServe, WorkTree, type GitServe } from './gitops-harness.ts';

const N = 300;
const removed = 30;
let h: Harness;
let git: GitServe;
const children: ChildProcess[] = [];

before(async () => {
  h = await startHarness({ pods: 'none' });
  await h.kubectl(
    'wait',
    '--for=condition=established',
    '--timeout=30s',
    'crd/workflowsources.workflow.gocodealone.com',
  );
  git = await startGitServe(join(h.dir, 'git'));
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await git?.stop();
  await h?.stop();
});

const app = (i: number) => `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata: { name: app-${i} }
spec:
  replicas: 0
  config: |
    modules:
      - name: server
        type: http.server
        config: { address: ":8080" }
`;

function start(): ChildProcess {
  const child = spawnOperator(h.kubeconfig, [
    '--lease-duration',
    '3s',
    '--renew-deadline',
    '2s',
    '--retry-period',
    '500ms',
    '--log-level',
    'warn',
  ]);
  child.stdout!.resume();
  child.stderr!.resume();
  children.push(child);
  return child;
}

async function tracked(): Promise<any[]> {
  const list = await h.json('get', 'wfa', '-l', 'workflow.gocodealone.com/source-name=apps');
  return list.items.filter((a: any) => a.metadata.annotations?.['workflow.gocodealone.com/source'] === 'default/apps');
}

test(`SIGKILL while syncing ${N} apps, a push while down, restart: no duplicates, no orphans`, {
  timeout: 1_200_000,
}, async () => {
  const work = await WorkTree.create(join(h.dir, 'work'), git, 'apps');
  const files: Record<string, string> = {};
  for (let i = 0; i < N; i++) files[`apps/app-${i}.yaml`] = app(i);
  await work.push(`${N} apps`, files);
  await h.apply(sourceYaml('apps', git.repoUrl('apps'), ['prune: true', 'interval: 2s']));
  const first = start();
  const atKill = await eventually(
    'the first operator mid-sync',
    async () => {
      const n = (await h.kubectl('get', 'wfa', '-o', 'name')).split('\n').filter(Boolean).length;
      return n >= 5 && n < N - 5 && n;
    },
    240_000,
    100,
  );
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  const gone: Record<string, null> = {};
  for (let i = 0; i < removed; i++) gone[`apps/app-${i}.yaml`] = null;
  const head = await work.push(`remove ${removed} apps`, gone);

  start();
  const status = await eventually(
    'the source synced to the new head',
    async () => {
      const s = await sourceStatus(h, 'apps');
      return s.sync?.revision === head && s.sync.status === 'Synced' && s;
    },
    300_000,
    1_000,
  );
  const apps = await tracked();
  const names = apps.map((a) => a.metadata.name);
  assert.equal(names.length, N - removed, `exactly the apps in git (killed at ${atKill})`);
  assert.equal(new Set(names).size, names.length, 'no duplicates');
  for (let i = 0; i < removed; i++) assert.ok(!names.includes(`app-${i}`), `app-${i} was pruned`);
  const all = (await h.json('get', 'wfa')).items as any[];
  assert.equal(all.length, N - removed, 'no app left behind');
  assert.equal(status.resources.filter((r: any) => r.status === 'Synced').length, N - removed);
  const uids = new Set(all.map((a) => a.metadata.uid));
  await eventually(
    'each app has one ConfigMap, Deployment and Service',
    async () => {
      for (const kind of ['deployments', 'services', 'configmaps']) {
        const items = (await h.json('get', kind, '-l', 'app.kubernetes.io/managed-by=workflow-operator'))
          .items as any[];
        // thrown, so that a timeout says what was missing
        if (items.length !== N - removed) throw new Error(`${items.length} ${kind} of ${N - removed}`);
        const orphans = items.filter((o) => !uids.has(o.metadata.ownerReferences?.[0]?.uid)).length;
        if (orphans) throw new Error(`${orphans} ${kind} not owned by an app in git`);
      }
      return true;
    },
    // CI runs this beside the conformance scenarios on 2 cores; garbage collection of the pruned
    // apps' objects has taken over 240 s there
    600_000,
    2_000,
  );
});
