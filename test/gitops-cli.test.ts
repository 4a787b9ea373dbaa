// The GitOps commands and the push webhook, end to end: wfctl sync --wait, wfctl diff (DIR and
// --source; exit 1 on differences, 0 when none), wfctl get sources, wfctl history; /hooks/git
// signatures (GitHub, Gitea, GitLab; a bad one is 401 and syncs nothing); the faults: the git
// server down (status says so, Stalled, recovers, running apps untouched) and a force-push.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RunningOperator } from '../operator/index.ts';
import { condition, eventually, repoRoot, startHarness, type Harness } from './operator-harness.ts';
import { appYaml, sourceStatus, sourceYaml, startGitServe, WorkTree, type GitServe } from './gitops-harness.ts';

const exec = promisify(execFile);
let h: Harness;
let op: RunningOperator;
let git: GitServe;
let work: WorkTree;
const secret = 's3cret';

async function wfctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      [join(repoRoot, 'bin/wfctl.js'), ...args, '--kubeconfig', h.kubeconfig],
      { cwd: repoRoot, timeout: 120_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

before(async () => {
  h = await startHarness({ pods: 'standin' });
  await h.kubectl(
    'wait',
    '--for=condition=established',
    '--timeout=30s',
    'crd/workflowsources.workflow.gocodealone.com',
  );
  op = await h.startOperator({ sources: { webhookSecret: secret } });
  git = await startGitServe(join(h.dir, 'git'));
  work = await WorkTree.create(join(h.dir, 'work'), git, 'apps');
  await work.push('one app', { 'a.yaml': appYaml('alpha', 'a1') });
  await h.apply(sourceYaml('apps', git.repoUrl('apps'), ['prune: true', 'interval: 1h']));
  await eventually('alpha synced', async () => (await sourceStatus(h, 'apps')).sync?.status === 'Synced', 60_000);
});
after(async () => {
  await git?.stop();
  await h?.stop();
});

test('wfctl get sources and kubectl get wfs; wfctl history', { timeout: 180_000 }, async () => {
  const r = await wfctl('get', 'sources');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0]!, /^NAME\s+SYNC\s+HEALTH\s+REVISION\s+AGE\s+REPO/);
  assert.match(r.stdout, /apps\s+Synced\s+\w+\s+[0-9a-f]{7}\s/);
  const json = JSON.parse((await wfctl('get', 'sources', '-o', 'json')).stdout);
  assert.equal(json[0].metadata.name, 'apps');
  const hist = await wfctl('history', 'apps');
  assert.equal(hist.code, 0, hist.stderr);
  assert.match(hist.stdout, /^REVISION\s+START\s+DURATION\s+RESULT\s+MESSAGE/);
  assert.match(hist.stdout, /Succeeded\s+applied 1/);
  const missing = await wfctl('history', 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /WorkflowSource default\/nope not found/);
});

test('wfctl diff: a directory and a source, as a unified diff; exit 1 on differences, 0 when none', {
  timeout: 120_000,
}, async () => {
  const same = await wfctl('diff', '--source', 'apps');
  assert.equal(same.code, 0, `${same.stdout}${same.stderr}`);
  assert.equal(same.stdout, '');

  work.write({ 'a.yaml': appYaml('alpha', 'a2'), 'b.yaml': appYaml('beta', 'b1') });
  const local = await wfctl('diff', work.dir, '--source', 'apps');
  assert.equal(local.code, 1, local.stderr);
  assert.match(local.stdout, /--- live\/workflow\.gocodealone\.com\.v1alpha1\.WorkflowApp\.default\.alpha/);
  assert.match(local.stdout, /^-\s+config: \{ status: 200, body: \{ message: "a1" \} \}$|message: "a1"/m);
  assert.match(local.stdout, /^\+.*message: "a2"/m);
  assert.match(
    local.stdout,
    /--- \/dev\/null\n\+\+\+ merged\/workflow\.gocodealone\.com\.v1alpha1\.WorkflowApp\.default\.beta/,
  );
  assert.equal((await h.json('get', 'wfa', 'alpha')).spec.config.includes('a2'), false, 'diff changed nothing');

  // removing a file shows as a removal of what the source applied
  work.write({ 'a.yaml': null, 'b.yaml': null });
  const removal = await wfctl('diff', work.dir, '--source', 'apps');
  assert.equal(removal.code, 1);
  assert.match(
    removal.stdout,
    /--- live\/workflow\.gocodealone\.com\.v1alpha1\.WorkflowApp\.default\.alpha\n\+\+\+ \/dev\/null/,
  );
  work.write({ 'a.yaml': appYaml('alpha', 'a1') });
  const plain = await wfctl('diff', work.dir);
  assert.equal(plain.code, 0, `${plain.stdout}${plain.stderr}`);
});

test('wfctl sync --wait forces a sync and follows it', { timeout: 120_000 }, async () => {
  const pushed = await work.push('alpha a3', { 'a.yaml': appYaml('alpha', 'a3') });
  // no webhook here (git serve has no --notify) and the interval is 1h: only the sync brings it in
  const r = await wfctl('sync', 'apps', '--wait', '--timeout', '90s');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`apps synced: revision ${pushed.slice(0, 7)}: Synced, Healthy`));
  assert.match((await h.json('get', 'wfa', 'alpha')).spec.config, /a3/);
});

test('POST /hooks/git: GitHub, Gitea and GitLab signatures; a bad one is 401 and syncs nothing', {
  timeout: 60_000,
}, async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: git.repoUrl('apps') } });
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const post = (headers: Record<string, string>) =>
    fetch(`${op.metricsUrl}/hooks/git`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const before = (await op.metrics.sourceFetches.get()).values.reduce((n, v) => n + v.value, 0);
  for (const bad of <Array<Record<string, string>>>[
    { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-github-event': 'push' },
    { 'x-gitea-signature': 'ab'.repeat(32), 'x-gitea-event': 'push' },
    { 'x-gitlab-token': 'wrong', 'x-gitlab-event': 'Push Hook' },
    {},
  ]) {
    const r = await post(bad);
    assert.equal(r.status, 401, JSON.stringify(bad));
  }
  // Asserting that nothing happens: a push the hook accepts is queued before its reply, so once the
  // source controller's queue has nothing queued or in flight, any fetch a bad request caused is done.
  await eventually('the source controller idle', async () => op.sourceController()?.queue.busy() === false, 30_000);
  const after = (await op.metrics.sourceFetches.get()).values.reduce((n, v) => n + v.value, 0);
  assert.equal(after, before, 'a bad signature fetched nothing');

  for (const good of <Array<Record<string, string>>>[
    { 'x-hub-signature-256': `sha256=${hmac}`, 'x-github-event': 'push' },
    { 'x-gitea-signature': hmac, 'x-gitea-event': 'push' },
    { 'x-gitlab-token': secret, 'x-gitlab-event': 'Push Hook' },
  ]) {
    const r = await post(good);
    assert.equal(r.status, 202, JSON.stringify(good));
    assert.deepEqual(await r.json(), { synced: ['default/apps'] });
  }
  const gitlab = JSON.stringify({ ref: 'refs/heads/main', project: { git_http_url: `${git.repoUrl('apps')}/` } });
  const r = await fetch(`${op.metricsUrl}/hooks/git`, {
    method: 'POST',
    body: gitlab,
    headers: { 'x-gitlab-token': secret, 'x-gitlab-event': 'Push Hook' },
  });
  assert.deepEqual(await r.json(), { synced: ['default/apps'] }, 'GitLab payloads name the repo under project');
  await eventually(
    'fetched',
    async () => (await op.metrics.sourceFetches.get()).values.reduce((n, v) => n + v.value, 0) > after,
  );
});

test('git server down: status says so, Stalled after repeated failures, recovers; apps untouched', {
  timeout: 120_000,
}, async () => {
  await h.kubectl('patch', 'wfs', 'apps', '--type=merge', '-p', '{"spec":{"interval":"1s"}}');
  const app = await h.json('get', 'wfa', 'alpha');
  await git.stop();
  const stalled = await eventually(
    'Stalled',
    async () => {
      const s = await sourceStatus(h, 'apps');
      return condition({ status: s }, 'Stalled')?.status === 'True' && s;
    },
    60_000,
  );
  assert.equal(condition({ status: stalled }, 'Fetched').status, 'False');
  assert.match(condition({ status: stalled }, 'Fetched').message, /fetch failed/);
  assert.match(condition({ status: stalled }, 'Ready').message, /live objects are left as they are/);
  const still = await h.json('get', 'wfa', 'alpha');
  assert.equal(still.metadata.generation, app.metadata.generation, 'the running app was not touched');
  assert.equal(condition(still, 'Ready')?.status, 'True');

  git = await startGitServe(join(h.dir, 'git'), [], git.port);
  await eventually(
    'recovered',
    async () => {
      const s = await sourceStatus(h, 'apps');
      return (
        condition({ status: s }, 'Fetched')?.status === 'True' &&
        condition({ status: s }, 'Stalled')?.status === 'False'
      );
    },
    60_000,
  );
});

test('a force-push rewriting history syncs to the new head', { timeout: 120_000 }, async () => {
  await work.git('reset', '-q', '--hard', 'HEAD~1');
  const rewritten = await work.push('rewritten history', { 'a.yaml': appYaml('alpha', 'rewritten') }, '--force');
  await eventually(
    'new head synced',
    async () => {
      const s = await sourceStatus(h, 'apps');
      return s.sync?.revision === rewritten && s.sync.status === 'Synced';
    },
    60_000,
  );
  assert.match((await h.json('get', 'wfa', 'alpha')).spec.config, /rewritten/);
});
