// `wfctl up` end to end, as a real process tree: every component answers, DATA/platform.json holds
// exactly the documented keys, the console refuses everything without a login, SIGTERM leaves no
// process behind (engine pods included), a second start keeps the state, and a taken port or a
// data dir in use gets a clear message.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  consoleLogin,
  exec,
  isAlive,
  kubectl,
  removeDir,
  repoRoot,
  startUp,
  tempDir,
  waitFor,
  pushApp,
  type RunningUp,
} from './platform-support.ts';

const dirs: string[] = [];
const running: RunningUp[] = [];
after(async () => {
  for (const r of running) await r.stop('SIGKILL').catch(() => undefined);
  for (const d of dirs) removeDir(d);
});

function newDataDir(): string {
  const dir = tempDir('wfctl-up-');
  dirs.push(dir);
  return join(dir, 'data');
}

test('wfctl up: every component answers; SIGTERM stops the whole tree; a second start keeps the state', async () => {
  const dataDir = newDataDir();
  const first = await startUp({ dataDir });
  running.push(first);
  const { info } = first;

  // DATA/platform.json: exactly the documented keys, private to the user
  assert.deepEqual(Object.keys(info).sort(), [
    'appsRepoUrl',
    'consoleToken',
    'consoleUrl',
    'gitToken',
    'kubeconfig',
    'licenseUrl',
    'registryRepoUrl',
    'registryUrl',
  ]);
  assert.equal(statSync(join(dataDir, 'platform.json')).mode & 0o077, 0, 'platform.json holds tokens: 0600');
  for (const url of [info.consoleUrl, info.registryUrl, info.appsRepoUrl, info.registryRepoUrl, info.licenseUrl])
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+/);

  // progress and the summary table
  const out = first.stdout();
  assert.match(out, /step 1 of \d+ {2}data dir/);
  assert.match(out, /step \d+ of \d+ {2}web console/);
  assert.match(out, /\(\d+\.\d s, \d+\.\d s elapsed\)/);
  assert.ok(out.includes(info.consoleUrl) && out.includes(`login token ${info.consoleToken}`));
  assert.ok(out.includes(info.kubeconfig) && out.includes(info.registryUrl));
  assert.ok(out.includes(`user wfctl, token ${info.gitToken}`));
  assert.match(out, /git clone http:\/\/wfctl:.+@127\.0\.0\.1:\d+\/apps\.git/);
  assert.match(out, /kubectl --kubeconfig .+ get wfa,wfs/);
  assert.match(out, /wfctl plugin search --registry http/);

  // the cluster, with the CRDs installed, and the WorkflowSource of apps.git
  const crds = await kubectl(info.kubeconfig, 'get', 'crd', '-o', 'name');
  for (const plural of ['workflowapps', 'workflowsources', 'workflowtenants'])
    assert.match(crds, new RegExp(`${plural}\\.workflow\\.gocodealone\\.com`));
  const source = JSON.parse(await kubectl(info.kubeconfig, 'get', 'wfs', 'apps', '-n', 'default', '-o', 'json')) as {
    spec: { repoURL: string };
  };
  assert.equal(source.spec.repoURL, info.appsRepoUrl);

  // the license server, with the development license of the default tenant, which is in the cluster too
  assert.equal((await fetch(`${info.licenseUrl}/healthz`)).status, 200);
  const wft = JSON.parse(await kubectl(info.kubeconfig, 'get', 'wft', 'default', '-o', 'json')) as {
    spec: { licenseSecretRef: { name: string; namespace: string } };
  };
  const secret = JSON.parse(
    await kubectl(
      info.kubeconfig,
      'get',
      'secret',
      '-n',
      wft.spec.licenseSecretRef.namespace,
      wft.spec.licenseSecretRef.name,
      '-o',
      'json',
    ),
  ) as { data: { license: string } };
  const token = Buffer.from(secret.data.license, 'base64').toString();
  const validation = (await (
    await fetch(`${info.licenseUrl}/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: token }),
    })
  ).json()) as { valid: boolean; license: { tier: string; tenant: string } };
  assert.equal(validation.valid, true, JSON.stringify(validation));
  assert.equal(validation.license.tenant, 'default');

  // the registry API, synced from registry.git (the built-in plugins)
  const search = (await (await fetch(`${info.registryUrl}/api/v1/plugins?q=http`)).json()) as Array<{ name: string }>;
  assert.ok(
    search.some((p) => p.name === 'http'),
    JSON.stringify(search),
  );

  // the git server: apps.git seeded with the examples, registry.git with the manifests; pushes need the token
  const anonymousClone = join(dataDir, '..', 'apps-read');
  await exec('git', ['clone', '--quiet', info.appsRepoUrl, anonymousClone]);
  assert.ok(existsSync(join(anonymousClone, 'greeter.workflowapp.yaml')));
  assert.ok(existsSync(join(anonymousClone, 'hello', 'workflow.yaml')));
  const { stdout: registryRefs } = await exec('git', ['ls-remote', info.registryRepoUrl]);
  assert.match(registryRefs, /refs\/heads\/main/);
  writeFileSync(join(anonymousClone, 'note.txt'), 'x\n');
  await exec('git', ['-C', anonymousClone, 'add', 'note.txt']);
  await exec('git', ['-C', anonymousClone, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'note']);
  await assert.rejects(
    exec('git', ['-C', anonymousClone, 'push', '--quiet', 'origin', 'main'], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    }),
    'a push without the token is refused',
  );
  const clone = await pushApp(info, join(dataDir, '..'), 'probe');

  // the console: nothing readable without a login; the cookie is HttpOnly and SameSite=Strict
  assert.equal((await fetch(`${info.consoleUrl}/api/apps`)).status, 401);
  assert.equal((await fetch(`${info.consoleUrl}/api/registry/plugins`)).status, 401);
  const html = await fetch(`${info.consoleUrl}/apps`);
  assert.equal(html.status, 200);
  assert.match(await html.text(), /<div id="app">/);
  const wrong = await fetch(`${info.consoleUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: 'not-the-token' }),
  });
  assert.equal(wrong.status, 401);
  const session = await consoleLogin(info);
  assert.match(session.setCookie, /HttpOnly/);
  assert.match(session.setCookie, /SameSite=Strict/);
  const authed = { cookie: session.cookie };

  // GitOps: the pushed app is synced from apps.git by the WorkflowSource, reconciled, and answers over HTTP
  const endpoint = await waitFor('the app to be Running', async () => {
    const apps = (await (await fetch(`${info.consoleUrl}/api/apps`, { headers: authed })).json()) as {
      items: Array<{
        name: string;
        phase: string;
        endpoint: string | null;
        source: string | null;
        tenant: string | null;
      }>;
    };
    const probe = apps.items.find((a) => a.name === 'probe');
    if (probe) assert.equal(probe.source, 'default/apps', 'the console shows which source applied the app');
    return probe?.phase === 'Running' && probe.endpoint ? probe.endpoint : undefined;
  });
  const answer = await waitFor('the app to answer', async () => {
    const r = await fetch(`${endpoint}/hello`);
    return r.status === 200 ? ((await r.json()) as { app: string }) : undefined;
  });
  assert.deepEqual(answer, { app: 'probe' });

  // actions need the session's CSRF token
  const noCsrf = await fetch(`${info.consoleUrl}/api/logout`, { method: 'POST', headers: authed });
  assert.equal(noCsrf.status, 403);
  const crossSite = await fetch(`${info.consoleUrl}/api/logout`, {
    method: 'POST',
    headers: { ...authed, 'x-csrf-token': session.csrf, origin: 'http://evil.example' },
  });
  assert.equal(crossSite.status, 403);

  // a second wfctl up on the same data dir is refused, naming the running one
  const second = await exec(
    process.execPath,
    [join(repoRoot, 'bin/wfctl.js'), 'up', '--data', dataDir, '--port-base', '0'],
    {
      timeout: 120_000,
    },
  ).then(
    () => assert.fail('a second wfctl up on a data dir in use must fail'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`in use by wfctl up \\(process ${first.child.pid}\\)`));

  // SIGTERM: everything stops, engine pods included, and nothing is left running
  const tree = first.descendants();
  assert.ok(tree.length > 0, 'the engine pod runs as a child of wfctl up');
  const stopped = await first.stop('SIGTERM');
  running.splice(running.indexOf(first), 1);
  assert.equal(stopped.code, 0, first.stderr());
  assert.deepEqual(stopped.survivors, [], 'no orphan processes');
  assert.ok(tree.every((pid) => !isAlive(pid)));
  assert.match(first.stdout(), /stopping the platform[\s\S]*Stopped\./);
  assert.equal(existsSync(join(dataDir, 'up.lock')), false);

  // a second start reuses the data dir: same tokens, the cluster's objects, the repositories' history
  const again = await startUp({ dataDir });
  running.push(again);
  assert.equal(again.info.consoleToken, info.consoleToken);
  assert.equal(again.info.gitToken, info.gitToken);
  const secretAgain = JSON.parse(
    await kubectl(
      again.info.kubeconfig,
      'get',
      'secret',
      '-n',
      'default',
      wft.spec.licenseSecretRef.name,
      '-o',
      'json',
    ),
  ) as { data: { license: string } };
  assert.equal(secretAgain.data.license, secret.data.license, 'the development license is reused, not issued again');
  assert.match(again.stdout(), /step 1 of \d+ {2}data dir .+ {2}reused/);
  assert.match(await kubectl(again.info.kubeconfig, 'get', 'wfa', 'probe', '-o', 'name'), /probe/);
  const { stdout: head } = await exec('git', ['ls-remote', again.info.appsRepoUrl, 'main']);
  const { stdout: pushed } = await exec('git', ['-C', clone, 'rev-parse', 'HEAD']);
  assert.equal(head.split('\t')[0], pushed.trim(), 'apps.git kept the pushed commit (not seeded again)');
  // the status may still name the endpoint of the first run until the operator has looked again
  await waitFor('the app to answer after the restart', async () => {
    const wfa = JSON.parse(await kubectl(again.info.kubeconfig, 'get', 'wfa', 'probe', '-o', 'json')) as {
      status?: { phase?: string; endpoint?: string };
    };
    if (wfa.status?.phase !== 'Running' || !wfa.status.endpoint) return false;
    return (await fetch(`${wfa.status.endpoint}/hello`)).status === 200;
  });
  // GitOps goes on over what the first run synced (objects the restarted operator found by listing)
  await pushApp(again.info, join(dataDir, '..'), 'after-restart');
  await waitFor('the app pushed after the restart to be Running', async () => {
    const wfa = JSON.parse(await kubectl(again.info.kubeconfig, 'get', 'wfa', 'after-restart', '-o', 'json')) as {
      status?: { phase?: string };
    };
    return wfa.status?.phase === 'Running';
  }).catch((err: Error) => assert.fail(`${err.message}\n${again.stderr()}`));
  assert.match(await kubectl(again.info.kubeconfig, 'get', 'wfa', 'probe', '-o', 'name'), /probe/, 'not pruned');
  assert.doesNotMatch(again.stderr(), /reconcile failed/);
  const stoppedAgain = await again.stop('SIGINT');
  running.splice(running.indexOf(again), 1);
  assert.equal(stoppedAgain.code, 0, again.stderr());
  assert.deepEqual(stoppedAgain.survivors, []);
});

test('wfctl up: a port in use is named, with the fix, and nothing is left behind', async () => {
  const dataDir = newDataDir();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const result = await exec(
      process.execPath,
      [join(repoRoot, 'bin/wfctl.js'), 'up', '--data', dataDir, '--port-base', String(port)],
      { timeout: 120_000 },
    ).then(
      () => assert.fail('wfctl up must fail when its console port is taken'),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 \\(the web console\\) is already in use`));
    assert.match(result.stderr, /--port-base \d+/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(join(dataDir, 'up.lock')), false, 'the lock is released');
    assert.equal(existsSync(join(dataDir, 'platform.json')), false);
  } finally {
    blocker.close();
  }
});

test('wfctl up: bad flags are refused before anything starts', async () => {
  const dataDir = newDataDir();
  for (const [args, message] of [
    [['--port-base', 'abc'], /--port-base must be a number/],
    [['--port-base', '65533'], /--port-base: the port base must be 0, or from 1 to 65529/],
    [['--log-level', 'loud'], /--log-level must be/],
    [['--kubeconfig', join(dataDir, 'missing')], /the cluster did not start: kubeconfig .+ does not exist/],
  ] as Array<[string[], RegExp]>) {
    const r = await exec(
      process.execPath,
      [join(repoRoot, 'bin/wfctl.js'), 'up', '--data', dataDir, '--port-base', '0', ...args],
      {
        timeout: 120_000,
      },
    ).then(
      () => assert.fail(`wfctl up ${args.join(' ')} must fail`),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
});
