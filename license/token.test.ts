import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeyPair,
  issueLicense,
  keyId,
  LicenseTokenError,
  parsePrivateKey,
  parsePublicKey,
  parseToken,
  parseWhen,
  privateKeyPem,
  publicKeyPem,
  readPrivateKeyFile,
  readPublicKeyFile,
  verifyToken,
  writeKeyPair,
  type TokenProblem,
} from './index.ts';

const now = Date.parse('2026-03-01T00:00:00Z');
const pair = generateKeyPair();

function problemOf(fn: () => unknown): { problem: TokenProblem; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LicenseTokenError, `expected LicenseTokenError, got ${(err as Error).message}`);
    return { problem: err.problem, message: err.message };
  }
  assert.fail('expected the token to be refused');
}

test('issue then verify round-trips every claim', () => {
  const { token, claims } = issueLicense(
    {
      tenant: 'acme',
      tier: 'enterprise',
      organization: 'ACME Corp',
      features: ['workflow-plugin-payments', 'audit-log', 'audit-log'],
      maxApps: 3,
      maxReplicas: 6,
      maxPlugins: 5,
      expires: '30d',
      now,
    },
    pair.privateKey,
  );
  assert.match(token, /^wflic\.v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  const got = verifyToken(token, pair.publicKey, now + 1000);
  assert.deepEqual(got, claims);
  assert.equal(got.tenant, 'acme');
  assert.deepEqual(got.features, ['workflow-plugin-payments', 'audit-log']);
  assert.equal(got.expiresAt - got.issuedAt, 30 * 86400);
  assert.equal(got.keyId, keyId(pair.publicKey));
  // upstream's payload keys
  const payload = JSON.parse(Buffer.from(token.split('.')[2]!, 'base64url').toString());
  assert.deepEqual(Object.keys(payload).slice(0, 9), [
    'lid',
    'tid',
    'org',
    'tier',
    'feat',
    'max_wf',
    'max_pl',
    'iat',
    'exp',
  ]);
  assert.equal(payload.max_rep, 6);
});

test('a token built the way upstream Go signs it verifies with upstream-format PEM keys', () => {
  // Go: json.Marshal(LicenseToken) in field order, base64.RawURLEncoding, ed25519.Sign over "wflic.v1.<payload>".
  const payload = Buffer.from(
    JSON.stringify({
      lid: 'test-license-id',
      tid: 'tenant-123',
      org: 'ACME Corp',
      tier: 'enterprise',
      feat: null,
      max_wf: 100,
      max_pl: 50,
      iat: now / 1000,
      exp: now / 1000 + 86400,
    }),
  ).toString('base64url');
  const signed = `wflic.v1.${payload}`;
  const token = `${signed}.${sign(null, Buffer.from(signed), pair.privateKey).toString('base64url')}`;
  // PEM round trip in upstream's block types (raw 32-byte public, 64-byte seed||public private)
  const pubPem = publicKeyPem(pair.publicKey);
  const keyPem = privateKeyPem(pair.privateKey);
  assert.match(pubPem, /^-----BEGIN ED25519 PUBLIC KEY-----\n[A-Za-z0-9+/=]{44}\n-----END ED25519 PUBLIC KEY-----\n$/);
  assert.match(keyPem, /^-----BEGIN ED25519 PRIVATE KEY-----\n/);
  const claims = verifyToken(token, parsePublicKey(pubPem), now);
  assert.equal(claims.licenseId, 'test-license-id');
  assert.deepEqual(claims.features, []);
  assert.equal(claims.maxApps, 100);
  assert.equal(claims.keyId, undefined);
  // and a key read back signs tokens the original public key accepts
  const again = issueLicense({ tenant: 'acme', tier: 'starter', now }, parsePrivateKey(keyPem));
  assert.equal(verifyToken(again.token, pair.publicKey, now).tier, 'starter');
  // standard SPKI PEM (openssl) is read too
  const spki = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  assert.equal(verifyToken(token, parsePublicKey(spki), now).licenseId, 'test-license-id');
});

test('tampered, wrong key, expired and not-yet-valid tokens each fail with their own message', () => {
  const { token } = issueLicense(
    { tenant: 'acme', tier: 'professional', features: ['x'], expires: '10d', now },
    pair.privateKey,
  );
  const [a, b, payload, sig] = token.split('.') as [string, string, string, string];

  const json = JSON.parse(Buffer.from(payload, 'base64url').toString());
  json.feat = ['*'];
  const forged = `${a}.${b}.${Buffer.from(JSON.stringify(json)).toString('base64url')}.${sig}`;
  const tampered = problemOf(() => verifyToken(forged, pair.publicKey, now));
  assert.equal(tampered.problem, 'tampered');
  assert.match(tampered.message, /signature is invalid: the token was altered after signing/);

  const other = generateKeyPair();
  const wrong = problemOf(() => verifyToken(token, other.publicKey, now));
  assert.equal(wrong.problem, 'wrong-key');
  assert.match(wrong.message, /was signed by another key \(key id [0-9a-f]{16}; this public key is [0-9a-f]{16}\)/);

  const expired = problemOf(() => verifyToken(token, pair.publicKey, now + 12 * 86400_000));
  assert.equal(expired.problem, 'expired');
  assert.match(expired.message, /expired at 2026-03-11T00:00:00Z \(2 days ago\)/);

  const future = issueLicense({ tenant: 'acme', tier: 'starter', notBefore: '2026-04-01', now }, pair.privateKey);
  const early = problemOf(() => verifyToken(future.token, pair.publicKey, now));
  assert.equal(early.problem, 'not-yet-valid');
  assert.match(early.message, /is not valid until 2026-04-01T00:00:00Z \(in 31 days\)/);

  const messages = new Set(
    [tampered.message, wrong.message, expired.message, early.message].map((m) => m.split(' ')[2]),
  );
  assert.equal(messages.size, 4, 'four different messages');
});

test('malformed tokens say what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /1 dot-separated parts instead of 4/],
    ['wflic.v1.abc', /3 dot-separated parts/],
    ['token.v1.abc.def', /prefix "token" is not "wflic"/],
    ['wflic.v2.abc.def', /version "v2" is not supported/],
    ['wflic.v1.!!!.def', /payload is not base64url/],
    [`wflic.v1.${Buffer.from('{not json').toString('base64url')}.AAAA`, /payload is not JSON/],
    [`wflic.v1.${Buffer.from('{"lid":"x","tier":"gold","iat":1,"exp":2}').toString('base64url')}.AAAA`, /tier.*gold/],
    [`wflic.v1.${Buffer.from('{"lid":"x","tier":"starter","iat":1}').toString('base64url')}.AAAA`, /"exp" is missing/],
    [
      `wflic.v1.${Buffer.from('{"lid":"x","tier":"starter","iat":1,"exp":2}').toString('base64url')}.AAAA`,
      /signature is 3 bytes/,
    ],
    ['\u0000garbage\u00ff'.repeat(1000), /malformed/],
  ];
  for (const [token, re] of cases) {
    const { problem, message } = problemOf(() => parseToken(token));
    assert.equal(problem, 'malformed');
    assert.match(message, re, JSON.stringify(token.slice(0, 40)));
  }
});

test('keys: files written 0600, read back, and bad key files explained', () => {
  const dir = mkdtempSync(join(tmpdir(), 'license-keys-'));
  try {
    const { keyPath, pubPath } = writeKeyPair(dir);
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    const priv = readPrivateKeyFile(keyPath);
    const pub = readPublicKeyFile(pubPath);
    assert.equal(keyId(priv), keyId(pub));
    assert.throws(() => writeKeyPair(dir), /already exists; keygen never overwrites/);
    assert.throws(() => readPublicKeyFile(keyPath), /this is a private key; pass the public key/);
    assert.throws(() => readPrivateKeyFile(pubPath), /this is a public key; signing needs the private key/);
    assert.throws(() => readPublicKeyFile(join(dir, 'nope.pub')), /nope\.pub does not exist/);
    assert.throws(() => parsePublicKey('hello'), /no PEM block found/);
    assert.throws(
      () => parsePublicKey('-----BEGIN ED25519 PUBLIC KEY-----\nAAAA\n-----END ED25519 PUBLIC KEY-----'),
      /32 bytes, this one is 3/,
    );
    assert.ok(readFileSync(pubPath, 'utf8').startsWith('-----BEGIN ED25519 PUBLIC KEY-----'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('issue options: tiers, tenants, limits and dates are checked', () => {
  assert.throws(
    () => issueLicense({ tenant: 'acme', tier: 'gold' }, pair.privateKey),
    /tier "gold" is not one of starter, professional, enterprise/,
  );
  assert.throws(() => issueLicense({ tenant: 'Acme Corp', tier: 'starter' }, pair.privateKey), /lower-case DNS name/);
  assert.throws(
    () => issueLicense({ tenant: 'acme', tier: 'starter', maxApps: -1 }, pair.privateKey),
    /--max-apps must be a non-negative integer/,
  );
  assert.throws(() => parseWhen('soon', now), /neither a duration \(30d, 12h, 1y\) nor a date/);
  assert.equal(parseWhen('2027-01-31', now), Date.parse('2027-01-31T00:00:00Z') / 1000);
  assert.equal(parseWhen('1y', now), now / 1000 + 365 * 86400);
  assert.throws(
    () => issueLicense({ tenant: 'acme', tier: 'starter', expires: '2020-01-01', now }, pair.privateKey),
    /--expires must be after/,
  );
});
