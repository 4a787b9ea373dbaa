// `wfctl license keygen|issue|verify|inspect|serve` as a user runs them (bin/wfctl.js): the token on
// stdout alone, each bad token refused with its own message and a non-zero exit, and the server up.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'license-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [wfctl, 'license', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('keygen, issue, verify and inspect; every bad token fails with its own message', { timeout: 120_000 }, () => {
  assert.equal(run('keygen', '--out', join(dir, 'k')).code, 0);
  assert.equal(run('keygen', '--out', join(dir, 'other')).code, 0);
  const key = join(dir, 'k', 'license.key');
  const pub = join(dir, 'k', 'license.pub');
  const issued = run(
    'issue',
    '--key',
    key,
    '--tenant',
    'acme',
    '--tier',
    'enterprise',
    '--features',
    'payments,audit',
    '--max-apps',
    '3',
    '--max-replicas',
    '6',
    '--expires',
    '30d',
  );
  assert.equal(issued.code, 0, issued.stderr);
  const token = issued.stdout.trim();
  assert.match(token, /^wflic\.v1\.[\w-]+\.[\w-]+$/);

  const ok = run('verify', token, '--pub', pub);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^valid: license lic-\w+ for tenant acme \(acme\), tier enterprise, expires \d{4}-/);
  const inspected = JSON.parse(run('inspect', token, '-o', 'json').stdout);
  assert.deepEqual(
    [inspected.tenant, inspected.maxApps, inspected.maxReplicas, inspected.features],
    ['acme', 3, 6, ['payments', 'audit']],
  );

  const [a, b, payload, sig] = token.split('.') as [string, string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const tampered = `${a}.${b}.${Buffer.from(JSON.stringify({ ...claims, max_wf: 99 })).toString('base64url')}.${sig}`;
  const expired = run(
    'issue',
    '--key',
    key,
    '--tenant',
    'acme',
    '--tier',
    'starter',
    '--expires',
    '2020-01-01',
    '--not-before',
    '2019-01-01',
  ).stdout.trim();
  const future = run(
    'issue',
    '--key',
    key,
    '--tenant',
    'acme',
    '--tier',
    'starter',
    '--not-before',
    '2099-01-01',
    '--expires',
    '2100-01-01',
  ).stdout.trim();
  const cases: Array<[string, string, RegExp]> = [
    [
      'tampered',
      tampered,
      /license is not valid: license token signature is invalid: the token was altered after signing/,
    ],
    ['wrong key', token, /was signed by another key \(key id \w+; this public key is \w+\)/],
    ['expired', expired, /expired at 2020-01-01T00:00:00Z \(\d+ days ago\)/],
    ['not yet valid', future, /is not valid until 2099-01-01T00:00:00Z/],
    ['garbage', 'hello', /malformed: 1 dot-separated parts instead of 4/],
  ];
  for (const [what, t, re] of cases) {
    const r = run('verify', t, '--pub', what === 'wrong key' ? join(dir, 'other', 'license.pub') : pub);
    assert.equal(r.code, 1, `${what}: ${r.stdout}`);
    assert.match(r.stderr, re, what);
    assert.equal(r.stdout, '', `${what}: nothing on stdout`);
  }
  const badTier = run('issue', '--key', key, '--tenant', 'acme', '--tier', 'gold');
  assert.equal(badTier.code, 1);
  assert.match(badTier.stderr, /tier "gold" is not one of starter, professional, enterprise/);
  assert.match(run('verify', token, '--pub', key).stderr, /this is a private key; pass the public key/);
});

test('serve: the license server answers /healthz and /validate, and needs an admin token', {
  timeout: 60_000,
}, async () => {
  const missing = run('serve', '--data', join(dir, 'srv'), '--pub', join(dir, 'k', 'license.pub'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /needs a token: pass --admin-token T or set WFCTL_LICENSE_ADMIN_TOKEN/);
  const child = spawn(
    process.execPath,
    [
      wfctl,
      'license',
      'serve',
      '--data',
      join(dir, 'srv'),
      '--pub',
      join(dir, 'k', 'license.pub'),
      '--admin-token',
      'admin-1234',
      '--port',
      '0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (c) => {
        err += c;
        const m = /license server at (http:\/\/[\d.:]+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: 'ok' });
    const token = run(
      'issue',
      '--key',
      join(dir, 'k', 'license.key'),
      '--tenant',
      'acme',
      '--tier',
      'professional',
    ).stdout.trim();
    const v = (await (
      await fetch(`${url}/validate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: token }),
      })
    ).json()) as { valid: boolean; license: { tier: string } };
    assert.deepEqual([v.valid, v.license.tier], [true, 'professional']);
    assert.equal((await fetch(`${url}/api/v1/tenants`)).status, 401);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
