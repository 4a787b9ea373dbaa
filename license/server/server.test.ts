// The license server over real HTTP with SQLite in a temp dir: the upstream /validate contract, the
// admin API behind its bearer token, usage reports, health and metrics, and bad input of every kind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { generateKeyPair, issueLicense, startLicenseServer, type LicenseServer } from '../index.ts';

const pair = generateKeyPair();
const admin = 'Bearer s3cret-admin';
let dir: string;
let server: LicenseServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'license-server-'));
  server = await startLicenseServer({
    dataDir: join(dir, 'data'),
    publicKey: pair.publicKey,
    adminToken: 's3cret-admin',
    logger: pino({ level: 'silent' }),
  });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

test('POST /validate answers as upstream does, and records the license', async () => {
  const { token, claims } = issueLicense(
    { tenant: 'acme', tier: 'professional', features: ['payments'], maxApps: 3 },
    pair.privateKey,
  );
  const r = await call('POST', '/validate', { key: token });
  assert.equal(r.status, 200);
  assert.equal(r.json.valid, true);
  assert.deepEqual(
    [r.json.license.key, r.json.license.tier, r.json.license.max_workflows, r.json.license.features],
    [claims.licenseId, 'professional', 3, ['payments']],
  );
  assert.ok(Date.parse(r.json.cached_until) > Date.now());
  const rec = await call('GET', `/api/v1/licenses/${claims.licenseId}`, undefined, { authorization: admin });
  assert.equal(rec.json.tenant, 'acme');
  assert.equal(rec.json.validations, 1);
  assert.equal(statSync(join(dir, 'data', 'license.db')).mode & 0o777, 0o600);
});

test('invalid keys get valid:false with the reason (200, as upstream); bad requests get 400', async () => {
  const other = issueLicense({ tenant: 'acme', tier: 'starter' }, generateKeyPair().privateKey).token;
  const wrongKey = await call('POST', '/validate', { key: other });
  assert.equal(wrongKey.status, 200);
  assert.equal(wrongKey.json.valid, false);
  assert.match(wrongKey.json.error, /signed by another key/);
  const expired = issueLicense(
    { tenant: 'acme', tier: 'starter', expires: '1d', now: Date.now() - 3 * 86400_000 },
    pair.privateKey,
  );
  const ex = await call('POST', '/validate', { key: expired.token });
  assert.deepEqual([ex.json.valid, ex.json.reason], [false, 'expired']);
  assert.match(ex.json.error, /expired at/);
  assert.match((await call('POST', '/validate', { key: 'K-1' })).json.error, /not a wflic.v1 license token/);

  for (const [body, re] of [
    ['{"key": ', /not valid JSON/],
    ['[1,2]', /must be a JSON object/],
    [{ key: 42 }, /"key" must be a non-empty string/],
    ['\u0000\u0001garbage', /not valid JSON/],
  ] as const) {
    const r = await call('POST', '/validate', body);
    assert.equal(r.status, 400, String(body));
    assert.match(r.json.error, re);
  }
  const huge = await call('POST', '/validate', { key: 'x'.repeat(200_000) });
  assert.equal(huge.status, 413);
  assert.match(huge.json.error, /larger than 64 KiB/);
  assert.equal((await call('GET', '/nope')).status, 404);
});

test('the admin API refuses calls without the admin token', async () => {
  for (const [method, path] of [
    ['GET', '/api/v1/tenants'],
    ['PUT', '/api/v1/tenants/acme'],
    ['GET', '/api/v1/licenses'],
    ['POST', '/api/v1/revocations'],
    ['DELETE', '/api/v1/revocations/x'],
    ['GET', '/api/v1/usage'],
  ] as const) {
    const none = await call(method, path, method === 'GET' ? undefined : {});
    assert.equal(none.status, 401, `${method} ${path}`);
    assert.match(none.json.error, /no bearer token/);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="license-admin"');
    const wrong = await call(method, path, method === 'GET' ? undefined : {}, { authorization: 'Bearer guess' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.json.error, /not the admin token/);
  }
});

test('tenants, registered licenses, revocations and suspension', async () => {
  const h = { authorization: admin };
  const put = await call('PUT', '/api/v1/tenants/globex', { displayName: 'Globex' }, h);
  assert.equal(put.status, 200);
  assert.equal(put.json.displayName, 'Globex');
  assert.equal((await call('PUT', '/api/v1/tenants/Bad_Name', {}, h)).status, 400);

  const { token, claims } = issueLicense({ tenant: 'globex', tier: 'enterprise', features: ['*'] }, pair.privateKey);
  const reg = await call('POST', '/api/v1/licenses', { token }, h);
  assert.equal(reg.status, 201);
  assert.equal(reg.json.id, claims.licenseId);
  const forged = `${token.slice(0, -4)}AAAA`;
  const bad = await call('POST', '/api/v1/licenses', { token: forged }, h);
  assert.equal(bad.status, 422);
  assert.match(bad.json.error, /signature is invalid/);

  await call('PUT', '/api/v1/tenants/globex', { suspended: true }, h);
  const suspended = await call('POST', '/validate', { key: token });
  assert.deepEqual([suspended.json.valid, suspended.json.reason], [false, 'suspended']);
  await call('PUT', '/api/v1/tenants/globex', { suspended: false }, h);
  assert.equal((await call('POST', '/validate', { key: token })).json.valid, true);

  const rev = await call('POST', '/api/v1/revocations', { license: claims.licenseId, reason: 'chargeback' }, h);
  assert.equal(rev.status, 201);
  const revoked = await call('POST', '/validate', { key: token });
  assert.deepEqual([revoked.json.valid, revoked.json.reason], [false, 'revoked']);
  assert.match(revoked.json.error, /was revoked at .*: chargeback/);
  const list = await call('GET', '/api/v1/licenses?tenant=globex', undefined, h);
  assert.equal(list.json[0].revoked.reason, 'chargeback');
  assert.equal((await call('DELETE', `/api/v1/revocations/${claims.licenseId}`, undefined, h)).status, 204);
  assert.equal((await call('DELETE', `/api/v1/revocations/${claims.licenseId}`, undefined, h)).status, 404);
  const tenant = await call('GET', '/api/v1/tenants/globex', undefined, h);
  assert.equal(tenant.json.licenses.length, 1);
  assert.equal((await call('DELETE', '/api/v1/tenants/globex', undefined, h)).status, 204);
  assert.equal((await call('DELETE', '/api/v1/tenants/globex', undefined, h)).status, 404);
});

test('usage reports: authenticated by the tenant license key (or admin), kept with a history', async () => {
  const { token } = issueLicense({ tenant: 'initech', tier: 'enterprise' }, pair.privateKey);
  const report = { tenant: 'initech', apps: 2, replicas: 5, plugins: ['b', 'a', 'a'] };
  const anon = await call('POST', '/api/v1/usage', report);
  assert.equal(anon.status, 401);
  const other = issueLicense({ tenant: 'acme', tier: 'enterprise' }, pair.privateKey).token;
  const forbidden = await call('POST', '/api/v1/usage', { ...report, key: other });
  assert.equal(forbidden.status, 403);
  assert.match(forbidden.json.error, /licenses tenant "acme", not "initech"/);
  const ok = await call('POST', '/api/v1/usage', { ...report, key: token });
  assert.equal(ok.status, 201);
  assert.deepEqual(
    [ok.json.apps, ok.json.replicas, ok.json.plugins, ok.json.reporter],
    [2, 5, ['a', 'b'], 'license-key'],
  );
  assert.equal((await call('POST', '/api/v1/usage', { ...report, apps: -1 }, { authorization: admin })).status, 400);
  await call('POST', '/api/v1/usage', { ...report, apps: 3 }, { authorization: admin });
  const usage = await call('GET', '/api/v1/usage?tenant=initech', undefined, { authorization: admin });
  assert.equal(usage.json[0].apps, 3);
  const history = await call('GET', '/api/v1/usage/initech/history', undefined, { authorization: admin });
  assert.deepEqual(
    history.json.map((h: { apps: number }) => h.apps),
    [3, 2],
  );
});

test('/healthz and /metrics', async () => {
  assert.deepEqual((await call('GET', '/healthz')).json, { status: 'ok' });
  const m = await call('GET', '/metrics');
  assert.match(m.text, /license_server_validations_total\{result="valid"\} \d+/);
  assert.match(m.text, /license_server_validations_total\{result="revoked"\} 1/);
  assert.match(m.text, /license_server_usage_reports_total\{result="accepted"\} 2/);
});
