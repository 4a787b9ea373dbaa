// SIGKILL mid-reconcile: `wfctl operator` is killed while it works through 200 new WorkflowApps,
// a fresh process takes over (after the dead one's Lease expires) and converges: every app Ready
// (pods run a tiny engine stand-in) with exactly one ConfigMap, Deployment and Service, none
// duplicated or orphaned.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appManifest, eventually, spawnOperator, startHarness, type Harness } from './operator-harness.ts';

const N = 200;
let h: Harness;
const children: ChildProcess[] = [];

before(async () => {
  h = await startHarness({ pods: 'standin' });
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h?.stop();
});

const apps = () => Array.from({ length: N }, (_, i) => appManifest(`app-${i}`)).join('---\n');

const leaseFlags = [
  '--lease-duration',
  '3s',
  '--renew-deadline',
  '2s',
  '--retry-period',
  '500ms',
  '--workers',
  '4',
  '--log-level',
  'warn',
];

function start(): ChildProcess {
  const child = spawnOperator(h.kubeconfig, leaseFlags);
  child.stdout!.resume();
  child.stderr!.resume();
  children.push(child);
  return child;
}

async function count(kind: string): Promise<number> {
  const out = await h.kubectl('get', kind, '-l', 'app.kubernetes.io/managed-by=workflow-operator', '-o', 'name');
  return out.split('\n').filter(Boolean).length;
}

test(`SIGKILL while reconciling ${N} apps, restart, converge with no duplicate or orphaned objects`, {
  timeout: 600_000,
}, async () => {
  await h.apply(apps());
  const first = start();
  const atKill = await eventually(
    'the first operator mid-way',
    async () => {
      const n = await count('deployments');
      return n >= 20 && n < N - 20 && n;
    },
    240_000,
    200,
  );
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));

  start();
  await eventually(
    `all ${N} apps Ready`,
    async () => {
      const list = await h.json('get', 'wfa');
      const ready = (a: any) =>
        a.status?.conditions?.some(
          (c: any) => c.type === 'Ready' && c.status === 'True' && c.observedGeneration === a.metadata.generation,
        );
      return list.items.length === N && list.items.every(ready) && list;
    },
    300_000,
    1_000,
  );

  const uids = new Set((await h.json('get', 'wfa')).items.map((a: any) => a.metadata.uid));
  for (const kind of ['deployments', 'services', 'configmaps']) {
    const items = (await h.json('get', kind, '-l', 'app.kubernetes.io/managed-by=workflow-operator')).items as any[];
    assert.equal(items.length, N, `${kind}: one per app (killed at ${atKill} Deployments)`);
    const names = new Set(items.map((o) => o.metadata.name));
    assert.equal(names.size, N, `${kind}: no duplicates`);
    for (const o of items) {
      const owners = o.metadata.ownerReferences.filter((r: any) => r.controller);
      assert.equal(owners.length, 1, `${kind}/${o.metadata.name} has one controller`);
      assert.ok(uids.has(owners[0].uid), `${kind}/${o.metadata.name} is owned by a live app`);
    }
  }
});
