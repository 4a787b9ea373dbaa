// WorkflowSource end to end, the way a user runs it: real git pushing to `wfctl git serve`, whose
// --notify posts to the operator's /hooks/git; real kubectl on devcluster; real engine pods.
// Push a new app (Ready, answering), push a config change (rolled out with no failed request),
// push a broken file (file and line in the status, the other apps keep syncing, nothing pruned),
// delete an app's file with prune (gone), kubectl edit (OutOfSync, then reverted with selfHeal),
// and suspend (nothing changes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { RunningOperator } from '../operator/index.ts';
import { condition, eventually, startHarness, type Harness } from './operator-harness.ts';
import { appYaml, sourceStatus, sourceYaml, startGitServe, WorkTree, type GitServe } from './gitops-harness.ts';

let h: Harness;
let op: RunningOperator;
let git: GitServe;
let work: WorkTree;
const secret = 'hook-secret';

before(async () => {
  h = await startHarness();
  await h.kubectl(
    'wait',
    '--for=condition=established',
    '--timeout=30s',
    'crd/workflowsources.workflow.gocodealone.com',
  );
  op = await h.startOperator({ sources: { webhookSecret: secret } });
  git = await startGitServe(join(h.dir, 'git'), ['--notify', `${op.metricsUrl}/hooks/git`, '--notify-secret', secret]);
  work = await WorkTree.create(join(h.dir, 'work'), git, 'apps');
});
after(async () => {
  await git?.stop();
  await h?.stop();
});

async function answer(app: string): Promise<string | undefined> {
  const a = await h.json('get', 'wfa', app);
  if (condition(a, 'Ready')?.status !== 'True' || a.status.observedGeneration !== a.metadata.generation)
    return undefined;
  const r = await fetch(`${a.status.endpoint}/`, { signal: AbortSignal.timeout(5000) });
  return r.ok ? ((await r.json()) as { message: string }).message : undefined;
}

test('a source syncs its repo: the app is Ready and answers; a pushed app arrives through the webhook', {
  timeout: 180_000,
}, async () => {
  const first = await work.push('shop v1', { 'apps/shop.yaml': appYaml('shop', 'shop v1') });
  await h.apply(sourceYaml('apps', git.repoUrl('apps'), ['path: apps', 'prune: true', 'interval: 10m']));
  await eventually('shop answers', async () => (await answer('shop')) === 'shop v1', 90_000, 500);
  const st = await eventually('source Synced and Healthy', async () => {
    const s = await sourceStatus(h, 'apps');
    return s.sync?.status === 'Synced' && s.health?.status === 'Healthy' && s;
  });
  assert.equal(st.sync.revision, first);
  assert.equal(st.sync.author, 'Ada <ada@example.com>');
  assert.deepEqual(
    st.resources.map((r: any) => [r.kind, r.name, r.status, r.health, r.file, r.line]),
    [['WorkflowApp', 'shop', 'Synced', 'Healthy', 'apps/shop.yaml', 1]],
  );
  assert.equal(st.history[0].revision, first);
  assert.equal(condition({ status: st }, 'Ready').status, 'True');
  const table = await h.kubectl('get', 'wfs');
  assert.match(table.split('\n')[0]!, /^NAME\s+SYNC\s+HEALTH\s+REVISION\s+AGE/);
  assert.match(table, new RegExp(`apps\\s+Synced\\s+Healthy\\s+${first}`));
  const shop = await h.json('get', 'wfa', 'shop', '--show-managed-fields');
  assert.equal(shop.metadata.annotations['workflow.gocodealone.com/source'], 'default/apps');
  const managers = shop.metadata.managedFields.map((m: any) => m.manager);
  assert.ok(managers.includes('workflow-gitops'), `applied by workflow-gitops (${managers})`);

  // The interval is 10 minutes: only the push webhook can bring this one in.
  await work.push('blog v1', { 'apps/blog.yaml': appYaml('blog', 'blog v1', ['replicas: 1']) });
  await eventually('blog answers', async () => (await answer('blog')) === 'blog v1', 90_000, 500);
});

test('a pushed config change rolls out with no failed request', { timeout: 180_000 }, async () => {
  const endpoint = (await h.json('get', 'wfa', 'shop')).status.endpoint;
  let failures = 0;
  let requests = 0;
  let sawNew = false;
  let stop = false;
  const load = (async () => {
    while (!stop) {
      requests++;
      try {
        const r = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(5000) });
        const body = (await r.json()) as { message: string };
        if (!r.ok) failures++;
        if (body.message === 'shop v2') sawNew = true;
      } catch {
        failures++;
      }
    }
  })();
  await work.push('shop v2', { 'apps/shop.yaml': appYaml('shop', 'shop v2') });
  await eventually('shop v2 served', async () => sawNew && (await answer('shop')) === 'shop v2', 120_000, 500);
  stop = true;
  await load;
  assert.ok(requests > 10, `requests were made (${requests})`);
  assert.equal(failures, 0, `${failures} of ${requests} requests failed during the rollout`);
});

test('a broken file: status names file and line, other apps keep syncing, nothing is pruned; fixed, the ' +
  'deleted app is pruned', {
  timeout: 180_000,
}, async () => {
  const broken = await work.push('break things', {
    'apps/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: oops\n',
    'apps/blog.yaml': appYaml('blog', 'blog v2', ['replicas: 1']),
    'apps/shop.yaml': null,
  });
  const st = await eventually('the broken revision is reported', async () => {
    const s = await sourceStatus(h, 'apps');
    return s.sync?.revision === broken && s;
  });
  const bad = st.resources.find((r: any) => r.file === 'apps/broken.yaml');
  assert.equal(bad.status, 'Failed');
  assert.equal(bad.line, 5);
  assert.match(condition({ status: st }, 'Applied').message, /apps\/broken\.yaml:5/);
  assert.match(st.sync.message, /apps\/broken\.yaml:5/);
  const shop = st.resources.find((r: any) => r.name === 'shop');
  assert.equal(shop.status, 'PruneSkipped');
  assert.match(shop.message, /prune skipped: 1 file problem/);
  await eventually('blog v2 still syncs', async () => (await answer('blog')) === 'blog v2', 90_000, 500);
  assert.equal(await answer('shop'), 'shop v2', 'shop was not pruned and still serves');

  await work.push('fix it', { 'apps/broken.yaml': null });
  await eventually('shop pruned', async () => {
    try {
      await h.kubectl('get', 'wfa', 'shop');
      return false;
    } catch (err) {
      return /NotFound|not found/.test((err as Error).message);
    }
  });
  const fixed = await eventually('Synced again', async () => {
    const s = await sourceStatus(h, 'apps');
    return s.sync?.status === 'Synced' && s;
  });
  assert.deepEqual(
    fixed.resources.map((r: any) => `${r.name}:${r.status}`),
    ['blog:Synced'],
  );
  assert.match(fixed.history.map((e: any) => e.message).join('\n'), /pruned 1/);
});

test('kubectl edit of a synced app shows OutOfSync; with selfHeal it is reverted within one interval', {
  timeout: 120_000,
}, async () => {
  // The real `kubectl edit`, with sed as the editor.
  const edit = (from: string, to: string) =>
    new Promise<void>((resolve, reject) => {
      execFile(
        'kubectl',
        ['--kubeconfig', h.kubeconfig, 'edit', 'wfa', 'blog'],
        { env: { ...process.env, KUBE_EDITOR: `sed -i s/replicas:\\ ${from}/replicas:\\ ${to}/` } },
        (err, _out, stderr) => (err ? reject(new Error(stderr)) : resolve()),
      );
    });
  await edit('1', '2');
  assert.equal((await h.json('get', 'wfa', 'blog')).spec.replicas, 2, 'kubectl edit changed it');
  const st = await eventually('OutOfSync shown', async () => {
    const s = await sourceStatus(h, 'apps');
    return s.sync?.status === 'OutOfSync' && s;
  });
  const blog = st.resources.find((r: any) => r.name === 'blog');
  assert.equal(blog.status, 'OutOfSync');
  assert.match(blog.message, /spec\.replicas: live 2, git 1/);
  assert.equal((await h.json('get', 'wfa', 'blog')).spec.replicas, 2, 'without selfHeal the drift stays');

  await h.kubectl('patch', 'wfs', 'apps', '--type=merge', '-p', '{"spec":{"selfHeal":true,"interval":"5s"}}');
  // selfHeal reverts on the edit's own watch event, not at the next interval; the deadlines are for a
  // loaded 2-core machine, where one kubectl call can take seconds
  await eventually('reverted', async () => (await h.json('get', 'wfa', 'blog')).spec.replicas === 1, 60_000, 200);
  await edit('1', '3');
  await eventually('reverted again', async () => (await h.json('get', 'wfa', 'blog')).spec.replicas === 1, 60_000, 200);
  await eventually('Synced', async () => (await sourceStatus(h, 'apps')).sync?.status === 'Synced');
});

test('suspend: a push changes nothing, drift stays; resumed, it syncs', { timeout: 120_000 }, async () => {
  await h.kubectl('patch', 'wfs', 'apps', '--type=merge', '-p', '{"spec":{"suspend":true}}');
  await eventually(
    'Suspended',
    async () => condition({ status: await sourceStatus(h, 'apps') }, 'Ready')?.reason === 'Suspended',
  );
  // pushes the hook matched to a source (counted after the source is queued), and fetches
  const hooks = async () =>
    (await op.metrics.webhookRequests.get()).values
      .filter((v) => v.labels.result === 'synced')
      .reduce((n, v) => n + v.value, 0);
  const fetches = async () => (await op.metrics.sourceFetches.get()).values.reduce((n, v) => n + v.value, 0);
  const before = await h.json('get', 'wfa', 'blog');
  const [seen, fetchedBefore] = [await hooks(), await fetches()];
  const pushed = await work.push('blog v3 while suspended', {
    'apps/blog.yaml': appYaml('blog', 'blog v3', ['replicas: 1']),
  });
  await eventually('the push webhook arrived', async () => (await hooks()) > seen, 30_000);
  // Asserting that nothing happens: the push queued the source, so once the source controller's
  // queue has nothing queued or in flight, the controller has handled the push (and did nothing).
  await eventually('the push handled', async () => op.sourceController()?.queue.busy() === false, 30_000);
  assert.equal(await fetches(), fetchedBefore, 'nothing fetched while suspended');
  const after = await h.json('get', 'wfa', 'blog');
  assert.equal(after.metadata.generation, before.metadata.generation, 'the app was not touched');
  assert.notEqual((await sourceStatus(h, 'apps')).sync.revision, pushed);

  await h.kubectl('patch', 'wfs', 'apps', '--type=merge', '-p', '{"spec":{"suspend":false}}');
  await eventually('blog v3 after resume', async () => (await answer('blog')) === 'blog v3', 90_000, 500);
});
