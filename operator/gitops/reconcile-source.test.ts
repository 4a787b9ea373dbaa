// reconcileSource over in-memory ports: sync waves wait for health, prune is blocked by a bad file,
// and a resync of an unchanged source makes no write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { WorkflowSource } from '../api/source-types.ts';
import { WriteMemory } from '../controller/up-to-date.ts';
import type { SourceDeps, SourceMemory } from './ports.ts';
import { reconcileSource } from './reconcile-source.ts';
import { MemoryTree } from './repo-tree.ts';
import { FetchError } from './git-fetch.ts';
import { refId, renderSource, groupOf, type ObjectRef } from './render-source.ts';
import { mergePatch } from './kustomize.ts';

const app = (name: string, wave?: number) => `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata:
  name: ${name}
${wave === undefined ? '' : `  annotations: {workflow.gocodealone.com/sync-wave: "${wave}"}\n`}spec:
  config: "modules: []"
`;

function world(files: Record<string, string>, spec: Partial<WorkflowSource['spec']> = {}) {
  const source: WorkflowSource = {
    apiVersion: 'workflow.gocodealone.com/v1alpha1',
    kind: 'WorkflowSource',
    metadata: { name: 'apps', namespace: 'team', generation: 1 },
    spec: { repoURL: 'http://git.local/apps.git', ...spec },
  };
  const live = new Map<string, KubernetesObject>();
  const calls: string[] = [];
  const memory: SourceMemory = { nextFetchAt: 0, failures: 0, refreshRequested: false };
  const refOf = (o: KubernetesObject): ObjectRef => ({
    group: groupOf(o.apiVersion),
    kind: o.kind!,
    namespace: o.metadata?.namespace,
    name: o.metadata!.name!,
  });
  let rv = 0;
  const deps: SourceDeps = {
    cache: {
      source: () => source,
      live: (ref) => live.get(refId(ref)),
      tracked: (key) =>
        [...live.values()].filter((o) => o.metadata?.annotations?.['workflow.gocodealone.com/source'] === key),
    },
    client: {
      apply: async (obj) => {
        calls.push(`apply ${obj.metadata?.name}`);
        const stored = {
          ...structuredClone(obj),
          metadata: { ...obj.metadata, resourceVersion: String(++rv), uid: `u-${obj.metadata?.name}` },
        };
        live.set(refId(refOf(obj)), stored);
        return stored;
      },
      read: async () => undefined,
      delete: async (obj) => {
        calls.push(`delete ${obj.metadata?.name}`);
        live.delete(refId(refOf(obj)));
      },
      patchStatus: async (_src, patch) => {
        calls.push('status');
        source.status = mergePatch(source.status ?? {}, patch) as WorkflowSource['status'];
      },
    },
    fetch: async (src) => ({
      commit: { oid: 'a'.repeat(40), author: 'Ada <ada@example.com>', subject: 'apps' },
      rendered: await renderSource(new MemoryTree(files), {
        source: { namespace: 'team', name: 'apps' },
        targetNamespace: 'team',
        path: src.spec.path,
      }),
    }),
    memory: () => memory,
    forget: async () => {},
    writes: new WriteMemory(),
    events: { event: () => {} },
    now: () => Date.now(),
    jitter: () => 1,
  };
  const ready = (name: string) => {
    const id = refId({ group: 'workflow.gocodealone.com', kind: 'WorkflowApp', namespace: 'team', name });
    const o = live.get(id) as any;
    o.metadata.generation = 1;
    o.status = {
      observedGeneration: 1,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' }],
    };
  };
  return { source, live, calls, deps, ready };
}

test('a sync wave starts once the waves before it are Healthy', async () => {
  const w = world({ 'a.yaml': app('first', 0), 'b.yaml': app('second', 1) });
  const r1 = await reconcileSource('team/apps', w.deps);
  assert.deepEqual(w.calls, ['apply first', 'status']);
  assert.ok(r1.requeueAfterMs !== undefined && r1.requeueAfterMs <= 1000);
  const ready1 = w.source.status!.conditions!.find((c) => c.type === 'Ready')!;
  assert.match(ready1.message, /waiting for WorkflowApp team\/first \(Progressing\)/);
  assert.equal(w.source.status!.history, undefined, 'the operation is not finished');

  w.ready('first');
  w.calls.length = 0;
  await reconcileSource('team/apps', w.deps);
  assert.deepEqual(w.calls, ['apply second', 'status']);
  assert.equal(w.source.status!.history![0]!.result, 'Succeeded');
  assert.match(w.source.status!.history![0]!.message!, /applied 1/);
});

test('prune never runs when a file of the revision failed; the status says why', async () => {
  const w = world({ 'a.yaml': app('keep'), 'old.yaml': app('old') }, { prune: true });
  await reconcileSource('team/apps', w.deps);
  w.ready('keep');
  w.ready('old');
  const broken = world({ 'a.yaml': app('keep'), 'broken.yaml': 'kind: [' }, { prune: true });
  for (const [k, v] of w.live) broken.live.set(k, v);
  await reconcileSource('team/apps', broken.deps);
  assert.ok(!broken.calls.some((c) => c.startsWith('delete')), broken.calls.join());
  const old = broken.source.status!.resources!.find((r) => r.name === 'old')!;
  assert.equal(old.status, 'PruneSkipped');
  assert.match(old.message!, /prune skipped: 1 file problem in this revision \(broken\.yaml:1/);

  const fixed = world({ 'a.yaml': app('keep') }, { prune: true });
  for (const [k, v] of w.live) fixed.live.set(k, v);
  await reconcileSource('team/apps', fixed.deps);
  assert.ok(fixed.calls.includes('delete old'));
});

test('a resync of an unchanged, synced source writes nothing', async () => {
  const w = world({ 'a.yaml': app('one') });
  await reconcileSource('team/apps', w.deps);
  w.ready('one');
  await reconcileSource('team/apps', w.deps); // health changed: one status write
  w.calls.length = 0;
  w.deps.memory('team/apps').nextFetchAt = 0; // a fetch is due: same commit
  await reconcileSource('team/apps', w.deps);
  await reconcileSource('team/apps', w.deps);
  assert.deepEqual(w.calls, []);
  assert.equal(w.source.status!.sync!.status, 'Synced');
  assert.equal(w.source.status!.health!.status, 'Healthy');
});

test('without selfHeal, drift stays OutOfSync, also after an operator restart', async () => {
  const w = world({ 'a.yaml': app('one') });
  await reconcileSource('team/apps', w.deps);
  w.ready('one');
  const id = refId({ group: 'workflow.gocodealone.com', kind: 'WorkflowApp', namespace: 'team', name: 'one' });
  (w.live.get(id) as any).spec.config = 'edited by hand';
  (w.live.get(id) as any).metadata.resourceVersion = 'edited';
  const restarted = {
    ...w.deps,
    writes: new WriteMemory(),
    memory: (() => {
      const m: SourceMemory = { nextFetchAt: 0, failures: 0, refreshRequested: false };
      return () => m;
    })(),
  };
  w.calls.length = 0;
  await reconcileSource('team/apps', restarted);
  assert.ok(!w.calls.some((c) => c.startsWith('apply')), w.calls.join());
  const one = w.source.status!.resources!.find((r) => r.name === 'one')!;

  assert.equal(one.status, 'OutOfSync');
  assert.match(one.message!, /spec\.config: live "edited by hand", git "modules: \[\]"/);
});

test('while fetches fail, events in between keep the failure in the status: Stalled holds', async () => {
  const w = world({ 'a.yaml': app('one') });
  await reconcileSource('team/apps', w.deps);
  const mem = w.deps.memory('team/apps');
  w.deps.fetch = async () => {
    throw new FetchError('http://git.local/apps.git: fetch failed (connection refused)', true);
  };
  const conditionOf = (type: string) => w.source.status!.conditions!.find((c) => c.type === type);
  for (let i = 1; i <= 3; i++) {
    mem.nextFetchAt = 0; // the retry is due
    await reconcileSource('team/apps', w.deps);
    assert.equal(conditionOf('Fetched')!.status, 'False');
    w.calls.length = 0;
    await reconcileSource('team/apps', w.deps); // an event before the next retry is due
    assert.deepEqual(w.calls, [], 'no write between retries');
    assert.equal(conditionOf('Fetched')!.status, 'False', `failure ${i} still reported`);
  }
  assert.equal(conditionOf('Stalled')!.status, 'True');
  assert.match(conditionOf('Ready')!.message, /live objects are left as they are/);
});
