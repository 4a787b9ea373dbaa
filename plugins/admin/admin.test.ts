// The admin plugin over real HTTP: an app (shaped like upstream's scenario 07) with the admin merged in
// by withAdmin, its own server on 127.0.0.1:0 and the admin's on another port; the first-user setup,
// login, the engine endpoints behind JWT (401 without a token, 403 without the admin role), the
// dashboard page, and users that survive a restart on the same data dir.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine, HttpServerCap, silentLogger, type WorkflowConfig } from '../../engine/index.ts';
import { corePlugins } from '../index.ts';
import { requestJson } from '../testing/index.ts';
import { AdminConfigError, adminConfig, withAdmin } from './index.ts';
import { redactSecrets } from './engine-admin.ts';

const ENV = { JWT_SECRET: 'admin-test-secret' };

/** The app of upstream's scenario 07: a server, a router and a health pipeline. */
const appConfig = (): WorkflowConfig => ({
  modules: [
    { name: 'server', type: 'http.server', config: { address: '127.0.0.1:0' } },
    { name: 'router', type: 'http.router', dependsOn: ['server'] },
    { name: 'api-auth', type: 'http.middleware.auth', config: { secretKey: 'a-literal-secret' } },
  ],
  workflows: { http: { router: 'router', server: 'server', routes: [] } },
  pipelines: {
    health: {
      trigger: { type: 'http', config: { path: '/healthz', method: 'GET' } },
      steps: [{ name: 'respond', type: 'step.json_response', config: { status: 200, body: { status: 'ok' } } }],
    },
  },
});

async function startApp(dataDir: string) {
  const engine = await Engine.fromConfig(withAdmin(appConfig(), { address: '127.0.0.1:0', env: ENV }), {
    plugins: corePlugins,
    dataDir,
    env: ENV,
    logger: silentLogger(),
    appName: 'scenario-07',
  });
  await engine.start();
  const url = (module: string) => {
    const server = engine.app.services.get(module);
    assert.ok(HttpServerCap.is(server));
    return `http://127.0.0.1:${server.address()!.port}`;
  };
  return { engine, app: url('server'), admin: url('admin-server') };
}

test('withAdmin adds the admin after the app, keeps an admin that is there, refuses clashes', () => {
  const merged = withAdmin(appConfig(), { env: ENV });
  const names = (merged.modules ?? []).map((m) => m.name);
  assert.deepEqual(names.slice(0, 3), ['server', 'router', 'api-auth'], "the app's modules come first");
  assert.ok(names.length > 10, `${names.length} modules`);
  assert.deepEqual(Object.keys(merged.workflows ?? {}), ['http', 'http-admin']);
  assert.equal(merged.modules?.find((m) => m.name === 'admin-server')?.config?.address, ':8081');
  assert.equal(withAdmin(merged, { env: ENV }), merged, 'a config with admin-server already has its admin');
  assert.throws(
    () => withAdmin({ modules: [{ name: 'admin-db', type: 'storage.sqlite' }] }, { env: ENV }),
    (e: unknown) => e instanceof AdminConfigError && /admin-db, which this config already uses/.test(e.message),
  );
  assert.throws(() => adminConfig({ env: {} }), /set JWT_SECRET/);
  const fromFlag = adminConfig({ env: { WORKFLOW_JWT_SECRET: 's' } });
  assert.equal(fromFlag.modules?.find((m) => m.name === 'admin-auth')?.config?.secret, '${WORKFLOW_JWT_SECRET}');
});

test('secrets written into a config are redacted; references to the environment are shown', () => {
  assert.deepEqual(
    redactSecrets({ a: { secretKey: 'x', password: '${PW}', apiKey: '', nested: [{ token: 't' }], name: 'n' } }),
    { a: { secretKey: '<redacted>', password: '${PW}', apiKey: '', nested: [{ token: '<redacted>' }], name: 'n' } },
  );
});

test('the admin API and dashboard over HTTP, with users persisted across a restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'admin-plugin-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let running = await startApp(dataDir);
  t.after(() => running.engine.stop({ drainTimeoutMs: 200 }));
  const { app, admin } = running;
  assert.notEqual(app, admin, 'the admin has a server of its own');

  assert.deepEqual((await requestJson(`${app}/healthz`)).json, { status: 'ok' });
  assert.equal(
    (await requestJson(`${app}/api/v1/auth/setup-status`)).status,
    404,
    "nothing of the admin on the app's port",
  );

  const page = await requestJson(`${admin}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.text, /<!doctype html>/i);
  assert.equal((await requestJson(`${admin}/engine`)).status, 200, 'the page is the fallback of every other path');
  assert.equal((await requestJson(`${admin}/api/v1/nothing`)).status, 404);

  const unauthorised = await requestJson(`${admin}/api/v1/admin/engine/status`);
  assert.equal(unauthorised.status, 401);
  assert.equal((await requestJson(`${admin}/api/v1/auth/setup-status`)).json.needsSetup, true);

  const credentials = { email: 'admin@scenario07.com', password: 'TestPass123x', name: 'Admin' };
  const setup = await requestJson(`${admin}/api/v1/auth/setup`, { method: 'POST', body: credentials });
  assert.equal(setup.status, 201, setup.text);
  assert.equal(setup.json.access_token, setup.json.token);
  const auth = { Authorization: `Bearer ${setup.json.access_token}` };
  assert.equal((await requestJson(`${admin}/api/v1/auth/setup`, { method: 'POST', body: credentials })).status, 409);

  const me = await requestJson(`${admin}/api/v1/auth/me`, { headers: auth });
  assert.equal(me.json.email, 'admin@scenario07.com');
  assert.equal(me.json.role, 'admin');

  const status = await requestJson(`${admin}/api/v1/admin/engine/status`, { headers: auth });
  assert.equal(status.status, 200);
  assert.equal(status.json.status, 'running');
  assert.equal(status.json.app, 'scenario-07');
  assert.equal(status.json.moduleCount, running.engine.moduleInfo().length);
  assert.ok(status.json.moduleCount > 10, `moduleCount ${status.json.moduleCount}`);
  assert.equal(status.json.pipelineCount, 1);

  const modules = await requestJson(`${admin}/api/v1/admin/engine/modules`, { headers: auth });
  assert.deepEqual(modules.json[0], { name: 'server', type: 'http.server', dependsOn: [] });
  assert.ok(modules.json.some((m: { name: string }) => m.name === 'admin-engine'));

  const config = await requestJson(`${admin}/api/v1/admin/engine/config`, { headers: auth });
  assert.equal(config.json.pipelines.health.steps[0].type, 'step.json_response');
  const module = (name: string) => config.json.modules.find((m: { name: string }) => m.name === name);
  assert.equal(module('api-auth').config.secretKey, '<redacted>');
  assert.equal(module('admin-auth').config.secret, '${JWT_SECRET}');
  assert.doesNotMatch(config.text, /admin-test-secret|a-literal-secret/);

  const services = await requestJson(`${admin}/api/v1/admin/engine/services`, { headers: auth });
  assert.ok(services.json.includes('admin-engine'));

  // a user an admin adds, without the admin role, may sign in but not read the engine
  const viewer = { email: 'viewer@scenario07.com', password: 'ViewerPass1', role: 'viewer' };
  assert.equal(
    (await requestJson(`${admin}/api/v1/auth/users`, { method: 'POST', body: viewer, headers: auth })).status,
    201,
  );
  const viewerLogin = await requestJson(`${admin}/api/v1/auth/login`, { method: 'POST', body: viewer });
  const viewerAuth = { Authorization: `Bearer ${viewerLogin.json.access_token}` };
  assert.equal((await requestJson(`${admin}/api/v1/admin/engine/status`, { headers: viewerAuth })).status, 403);
  assert.equal(
    (await requestJson(`${admin}/api/v1/auth/register`, { method: 'POST', body: viewer })).status,
    405,
    'nobody registers themselves on the admin (no such route: only the page answers, and only to GET)',
  );
  const wrong = await requestJson(`${admin}/api/v1/auth/login`, {
    method: 'POST',
    body: { email: credentials.email, password: 'wrong-password' },
  });
  assert.equal(wrong.status, 401);

  // a new deployment on the same data dir: the users are still there, and so is a signed-in session
  await running.engine.stop({ drainTimeoutMs: 200 });
  running = await startApp(dataDir);
  const again = running.admin;
  assert.equal((await requestJson(`${again}/api/v1/auth/setup-status`)).json.needsSetup, false);
  const login = await requestJson(`${again}/api/v1/auth/login`, { method: 'POST', body: credentials });
  assert.equal(login.status, 200, login.text);
  assert.equal((await requestJson(`${again}/api/v1/auth/me`, { headers: auth })).json.email, credentials.email);
});
