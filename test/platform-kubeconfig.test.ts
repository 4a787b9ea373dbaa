// `wfctl up --kubeconfig K`: the platform on an existing cluster instead of devcluster. The cluster
// here is a devcluster started by the test (as a real one would be, apart from wfctl up): the CRDs
// are installed there, the operator reconciles there, and the console shows its apps; then
// `wfctl console --kubeconfig K --registry URL` serves the console alone for the same cluster.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { startDevCluster, type DevCluster } from '../devcluster/index.ts';
import {
  consoleLogin,
  kubectl,
  removeDir,
  repoRoot,
  startUp,
  tempDir,
  waitFor,
  type RunningUp,
} from './platform-support.ts';

const dir = tempDir('wfctl-up-kubeconfig-');
let cluster: DevCluster | undefined;
let up: RunningUp | undefined;
after(async () => {
  await up?.stop('SIGKILL').catch(() => undefined);
  await cluster?.stop();
  removeDir(dir);
});

test('wfctl up --kubeconfig uses that cluster and starts no devcluster', async () => {
  cluster = await startDevCluster({
    dataDir: join(dir, 'cluster'),
    nodeAgent: false,
    logger: pino({ level: 'silent' }),
  });
  const dataDir = join(dir, 'data');
  up = await startUp({ dataDir, args: ['--kubeconfig', cluster.kubeconfigPath] });
  assert.equal(up.info.kubeconfig, cluster.kubeconfigPath);
  assert.equal(existsSync(join(dataDir, 'cluster')), false, 'no devcluster of its own');
  assert.match(up.stdout(), /step \d of \d+ {2}cluster of /);
  assert.match(
    await kubectl(cluster.kubeconfigPath, 'get', 'crd', '-o', 'name'),
    /workflowapps\.workflow\.gocodealone\.com/,
  );

  const app = join(dir, 'app.yaml');
  writeFileSync(
    app,
    'apiVersion: workflow.gocodealone.com/v1alpha1\nkind: WorkflowApp\nmetadata: {name: ext, namespace: default}\n' +
      'spec:\n  replicas: 1\n  config: |\n    name: ext\n    modules:\n' +
      '      - {name: server, type: http.server, config: {address: ":8080"}}\n',
  );
  await kubectl(cluster.kubeconfigPath, 'apply', '-f', app);
  // the platform's operator reconciles the app in that cluster (its pods stay Pending: no node agent)
  await waitFor('the operator to create the Deployment', async () =>
    (await kubectl(cluster!.kubeconfigPath, 'get', 'deployments', '-o', 'name')).includes('deployment.apps/ext'),
  );
  const { cookie } = await consoleLogin(up.info);
  const apps = await waitFor('the console to list the app', async () => {
    const r = (await (await fetch(`${up!.info.consoleUrl}/api/apps`, { headers: { cookie } })).json()) as {
      items: Array<{ name: string }>;
    };
    return r.items.some((a) => a.name === 'ext') ? r : undefined;
  });
  assert.ok(apps.items.length >= 1);

  // the console alone against the same cluster and registry: wfctl console --kubeconfig K --registry URL
  const token = 'standalone-console-token-1234';
  const standalone = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin/wfctl.js'),
      'console',
      '--kubeconfig',
      cluster.kubeconfigPath,
      '--registry',
      up.info.registryUrl,
      '--port',
      '0',
      '--token',
      token,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  standalone.stdout.on('data', (d: Buffer) => (printed += d.toString()));
  try {
    const url = await waitFor('wfctl console to print its URL', () => /console at (http:\S+)/.exec(printed)?.[1]);
    assert.doesNotMatch(printed, /login token/, 'a token given on the command line is not echoed');
    assert.equal((await fetch(`${url}/api/apps`)).status, 401);
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    const session = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]! };
    const listed = (await (await fetch(`${url}/api/apps`, { headers: session })).json()) as {
      items: Array<{ name: string }>;
    };
    assert.ok(listed.items.some((a) => a.name === 'ext'));
    const plugins = (await (await fetch(`${url}/api/registry/plugins?q=http`, { headers: session })).json()) as {
      items: Array<{ name: string }>;
    };
    assert.ok(plugins.items.some((p) => p.name === 'http'));
  } finally {
    standalone.kill('SIGTERM');
    await new Promise((r) => standalone.once('exit', r));
  }

  const stopped = await up.stop('SIGTERM');
  up = undefined;
  assert.equal(stopped.code, 0);
  assert.deepEqual(stopped.survivors, []);
  // the external cluster is left running, with its objects
  assert.match(await kubectl(cluster.kubeconfigPath, 'get', 'wfa', 'ext', '-o', 'name'), /ext/);
});
