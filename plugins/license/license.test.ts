import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpHandler } from '../../engine/index.ts';
import { requestJson, serve, serveRoutes, startTestApp, TestApp, rejectsWithIssue } from '../testing/index.ts';
import { generateKeyPair, issueLicense, publicKeyPem } from '../../license/index.ts';
import { licensePlugin, LicenseValidator } from './index.ts';

const HOUR = 3_600_000;

test('fail-closed: no key is not licensed; a signed token verifies offline; served over GET only', async (t) => {
  const pair = generateKeyPair();
  const { token } = issueLicense({ tenant: 'acme', tier: 'enterprise', features: ['payments'] }, pair.privateKey);
  const app = await startTestApp({
    plugins: [licensePlugin],
    config: {
      modules: [
        { name: 'none', type: 'license.validator', config: { server_url: '', license_key: '$WF_TEST_NO_SUCH_VAR' } },
        {
          name: 'license',
          type: 'license.validator',
          config: { license_key: token, public_key: publicKeyPem(pair.publicKey), cache_ttl: '1h' },
        },
      ],
    },
  });
  const server = await serveRoutes({
    'GET /none': app.services.get<HttpHandler>('none')!,
    'GET /license': app.services.get<HttpHandler>('license')!,
    'POST /license': app.services.get<HttpHandler>('license')!,
  });
  t.after(async () => {
    await server.close();
    await app.stop();
  });
  assert.equal(app.services.get('license-validator'), app.services.get('none'));
  const none = await requestJson(`${server.url}/none`);
  assert.equal(none.status, 200);
  assert.equal(none.json.valid, false);
  assert.match(none.json.error, /no license key/);
  const got = await requestJson(`${server.url}/license`);
  assert.equal(got.json.valid, true);
  assert.deepEqual(
    [got.json.license.tier, got.json.license.organization, got.json.license.features],
    ['enterprise', 'acme', ['payments']],
  );
  assert.ok(Date.parse(got.json.cached_until) > Date.now());
  const v = app.services.get<LicenseValidator>('license')!;
  assert.equal(v.premiumPluginProblem('payments'), undefined);
  assert.match(v.premiumPluginProblem('billing')!, /does not include premium plugin "billing"/);
  assert.equal((await requestJson(`${server.url}/license`, { method: 'POST' })).status, 405);
});

test('bad durations are located config errors', async () => {
  const app = new TestApp({
    plugins: [licensePlugin],
    config: { modules: [{ name: 'l', type: 'license.validator', config: { grace_period: 'three days' } }] },
  });
  await rejectsWithIssue(app.build(), 'modules[0].config.grace_period', /"grace_period" must be a duration/);
  await app.stop();
});

test('remote validation: the documented protocol, cache TTL, grace period, then expiry of grace', async (t) => {
  let up = true;
  const calls: unknown[] = [];
  const server = await serve(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    calls.push({ method: req.method, url: req.url, body: JSON.parse(body) });
    if (!up) {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"error":"maintenance"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        valid: true,
        license: {
          key: 'K-1',
          tier: 'enterprise',
          organization: 'acme',
          expires_at: '2030-01-01T00:00:00Z',
          max_workflows: 50,
          max_plugins: 99,
          features: ['premium-x'],
        },
      }),
    );
  });
  t.after(() => server.close());
  let now = Date.parse('2026-01-01T00:00:00Z');
  const app = new TestApp({ plugins: [licensePlugin] });
  t.after(() => app.stop());
  const v = new LicenseValidator(
    'lic',
    { server_url: `${server.url}/`, license_key: 'K-1', cache_ttl: '1h', grace_period: '72h', refresh_interval: '0s' },
    { now: () => now },
  );
  await app.build();
  v.init(app.app);
  await v.start();
  assert.deepEqual(calls[0], { method: 'POST', url: '/validate', body: { key: 'K-1' } });
  assert.equal(v.checkFeature('premium-x'), true);

  now += 30 * 60_000;
  await v.validate();
  assert.equal(calls.length, 1, 'served from cache inside cache_ttl');

  up = false;
  now += 2 * HOUR;
  const inGrace = await v.validate();
  assert.equal(inGrace.valid, true, 'server down, inside grace: still valid');
  assert.equal(inGrace.cached_until, new Date(now + HOUR).toISOString());

  await v.refresh();
  assert.equal(v.licenseInfo()?.tier, 'enterprise', 'a failed refresh keeps the cache');

  now += 80 * HOUR;
  const expired = await v.validate();
  assert.equal(expired.valid, false);
  assert.match(expired.error!, /grace period of 72h expired/);
  assert.equal(v.licenseInfo(), undefined);

  up = true;
  now += 2 * HOUR;
  assert.equal((await v.validate()).valid, true, 'recovers when the server is back');
});

test('no answer from the server yet: not licensed, with the reason; start does not fail', async (t) => {
  const server = await serve(
    (_req, res) => void res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":"db down"}'),
  );
  t.after(() => server.close());
  const app = new TestApp({ plugins: [licensePlugin] });
  t.after(() => app.stop());
  const v = new LicenseValidator('lic', { server_url: server.url, license_key: 'k', refresh_interval: '0s' });
  await app.build();
  v.init(app.app);
  await v.start();
  const r = await v.validate();
  assert.equal(r.valid, false);
  assert.match(r.error!, /has not been validated by .* yet: license server returned 500: db down/);
});
