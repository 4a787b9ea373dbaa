// The validator against the real license server (HTTP on 127.0.0.1, SQLite in a temp dir), with a
// clock the test moves: offline check, online answer, TTL, grace, revocation, fail-closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  generateKeyPair,
  issueLicense,
  LicenseValidator,
  refreshSchedule,
  startLicenseServer,
  type LicenseServer,
} from './index.ts';

const HOUR = 3_600_000;
const pair = generateKeyPair();
const start = Date.parse('2026-03-01T00:00:00Z');

async function withServer(now: () => number, fn: (s: LicenseServer) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'license-validator-'));
  const server = await startLicenseServer({
    dataDir: dir,
    publicKey: pair.publicKey,
    adminToken: 'admin-secret',
    logger: pino({ level: 'silent' }),
    now,
  });
  try {
    await fn(server);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('fail-closed: no key, a token without a public key or server, an opaque key without a server', () => {
  assert.deepEqual(
    [new LicenseValidator({}).status().reason, new LicenseValidator({ key: '  ' }).status().valid],
    ['NoKey', false],
  );
  const { token } = issueLicense({ tenant: 'acme', tier: 'enterprise' }, pair.privateKey);
  const noPub = new LicenseValidator({ key: token }).status();
  assert.equal(noPub.reason, 'Unverifiable');
  assert.match(noPub.message, /no public key to check its signature and no license server/);
  assert.equal(new LicenseValidator({ key: 'K-123' }).status().reason, 'Unverifiable');
  assert.equal(
    new LicenseValidator({ key: token, publicKey: generateKeyPair().publicKey }).status().reason,
    'WrongKey',
  );
});

test('offline: valid until it expires, checked against the clock at every status()', () => {
  let now = start;
  const { token } = issueLicense(
    { tenant: 'acme', tier: 'professional', features: ['payments'], expires: '2d', now },
    pair.privateKey,
  );
  const v = new LicenseValidator({ key: token, publicKey: pair.publicKey, now: () => now });
  assert.equal(v.status().valid, true);
  assert.equal(v.status().source, 'offline');
  assert.equal(v.premiumPluginProblem('payments'), undefined);
  assert.match(v.premiumPluginProblem('billing')!, /does not include premium plugin "billing" \(features: payments\)/);
  now += 3 * 24 * HOUR;
  assert.equal(v.status().reason, 'Expired');
  assert.match(v.premiumPluginProblem('payments')!, /needs a valid license: license lic-\w+ expired at/);
});

test('starter licenses never carry premium plugins, even with the feature listed', () => {
  const { token } = issueLicense({ tenant: 'acme', tier: 'starter', features: ['*'] }, pair.privateKey);
  const v = new LicenseValidator({ key: token, publicKey: pair.publicKey });
  assert.match(v.premiumPluginProblem('payments')!, /tier starter, which does not permit premium plugins/);
});

test('online: cached answer, grace period from the last successful check, then GraceExpired', async () => {
  let now = start;
  await withServer(
    () => now,
    async (server) => {
      const { token } = issueLicense({ tenant: 'acme', tier: 'enterprise', features: ['*'], now }, pair.privateKey);
      const changes: string[] = [];
      const v = new LicenseValidator({
        key: token,
        publicKey: pair.publicKey,
        serverUrl: server.url,
        cacheTtlMs: HOUR,
        gracePeriodMs: 72 * HOUR,
        refreshIntervalMs: 0,
        now: () => now,
      });
      v.onChange((s) => changes.push(`${s.reason}/${s.source}`));
      assert.equal(v.status().reason, 'NotValidatedYet', 'a server is configured: no answer yet means not licensed');
      const first = await v.start();
      assert.equal(first.valid, true);
      assert.equal(first.source, 'online');
      assert.equal(first.lastValidatedAt, start);
      const upstream = await v.validate();
      assert.equal(upstream.valid, true);
      assert.equal(upstream.license?.tier, 'enterprise');
      assert.equal(upstream.cached_until, new Date(start + HOUR).toISOString());
      assert.equal(server.store.license(first.claims!.licenseId)?.validations, 1, 'served from the cache: one call');

      const url = server.url;
      await server.stop();
      now += 2 * HOUR;
      const inGrace = await v.refresh();
      assert.equal(inGrace.valid, true, 'server down, inside grace');
      assert.equal(inGrace.source, 'grace');
      assert.match(
        inGrace.message,
        new RegExp(`license server ${url} unreachable .*valid within the grace period until 2026-03-04T00:00:00.000Z`),
      );
      assert.ok(inGrace.serverError);
      now += 71 * HOUR;
      const after = await v.refresh();
      assert.equal(after.valid, false);
      assert.equal(after.reason, 'GraceExpired');
      assert.match(
        after.message,
        /license server unreachable and grace period of 72h expired at 2026-03-04T00:00:00.000Z/,
      );
      assert.deepEqual(changes, ['Valid/online', 'Valid/grace', 'GraceExpired/grace']);
      v.stop();
    },
  );
});

test('revocation is honoured online; un-revoking restores the license at the next refresh', async () => {
  const now = start;
  await withServer(
    () => now,
    async (server) => {
      const { token, claims } = issueLicense(
        { tenant: 'acme', tier: 'enterprise', features: ['*'], now },
        pair.privateKey,
      );
      const v = new LicenseValidator({
        key: token,
        publicKey: pair.publicKey,
        serverUrl: server.url,
        refreshIntervalMs: 0,
        now: () => now,
      });
      assert.equal((await v.start()).valid, true);
      const admin = { 'content-type': 'application/json', authorization: 'Bearer admin-secret' };
      const r = await fetch(`${server.url}/api/v1/revocations`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ license: claims.licenseId, reason: 'contract ended' }),
      });
      assert.equal(r.status, 201);
      const revoked = await v.refresh();
      assert.equal(revoked.reason, 'Revoked');
      assert.match(revoked.message, new RegExp(`license ${claims.licenseId} was revoked at .*: contract ended`));
      // a revoked answer is not "good": grace never keeps it alive, even with the server gone later
      await fetch(`${server.url}/api/v1/revocations/${claims.licenseId}`, { method: 'DELETE', headers: admin });
      assert.equal((await v.refresh()).valid, true);
      v.stop();
    },
  );
});

test('a seeded last validation keeps grace across a restart while the server is down', async () => {
  const now = start;
  const { token } = issueLicense({ tenant: 'acme', tier: 'enterprise', now }, pair.privateKey);
  const v = new LicenseValidator({
    key: token,
    publicKey: pair.publicKey,
    serverUrl: 'http://127.0.0.1:9', // discard port: nothing listens
    lastValidatedAt: now - HOUR,
    refreshIntervalMs: 0,
    requestTimeoutMs: 2000,
    now: () => now,
  });
  const s = await v.refresh();
  assert.equal(s.valid, true);
  assert.equal(s.source, 'grace');
  const never = new LicenseValidator({
    ...{ key: token, publicKey: pair.publicKey },
    serverUrl: 'http://127.0.0.1:9',
    refreshIntervalMs: 0,
  });
  const no = await never.refresh();
  assert.equal(no.reason, 'NotValidatedYet');
  assert.match(no.message, /has not been validated by http:\/\/127.0.0.1:9 yet: /);
});

test('refresh schedules for node-cron', () => {
  assert.equal(refreshSchedule(15_000), '*/15 * * * * *');
  assert.equal(refreshSchedule(5 * 60_000), '0 */5 * * * *');
  assert.equal(refreshSchedule(HOUR), '0 0 */1 * * *');
  assert.equal(refreshSchedule(48 * HOUR), '0 0 0 * * *');
});
