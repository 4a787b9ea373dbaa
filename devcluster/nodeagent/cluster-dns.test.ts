import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClusterDns, isLoopbackClusterIP, renderHostsFile, serviceHostNames } from './cluster-dns.ts';

const web = { name: 'web', namespace: 'shop', clusterIP: '127.43.0.10' };
const auth = { name: 'auth', namespace: 'iam', clusterIP: '127.43.0.11' };

test('names as CoreDNS and the resolv.conf search path give them; the short name only in its namespace', () => {
  assert.deepEqual(serviceHostNames(web, 'shop'), ['web.shop.svc.cluster.local', 'web.shop.svc', 'web.shop', 'web']);
  assert.deepEqual(serviceHostNames(web, 'iam'), ['web.shop.svc.cluster.local', 'web.shop.svc', 'web.shop']);
});

test('hosts files: the base, then every Service with a loopback ClusterIP, sorted', () => {
  const text = renderHostsFile(
    'shop',
    [
      web,
      auth,
      { name: 'old', namespace: 'shop', clusterIP: '10.43.0.5' },
      { name: 'h', namespace: 'shop', clusterIP: 'None' },
    ],
    '127.0.0.1 localhost\n',
  );
  assert.equal(
    text,
    [
      '127.0.0.1 localhost',
      '',
      '# devcluster cluster DNS for pods in namespace shop (written by the node agent)',
      '127.43.0.11\tauth.iam.svc.cluster.local auth.iam.svc auth.iam',
      '127.43.0.10\tweb.shop.svc.cluster.local web.shop.svc web.shop web',
      '',
    ].join('\n'),
  );
  assert.equal(isLoopbackClusterIP('127.0.0.1'), false, "the node's own address is never a ClusterIP");
});

test('ClusterDns writes a file per namespace on demand and rewrites only what changed', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dns = new ClusterDns(dir);
  const shop = dns.hostsFile('shop');
  assert.equal(shop, join(dir, 'shop', 'hosts'));
  assert.doesNotMatch(readFileSync(shop, 'utf8'), /web/);
  dns.update([web]);
  assert.match(
    readFileSync(shop, 'utf8'),
    /^127\.43\.0\.10\tweb\.shop\.svc\.cluster\.local web\.shop\.svc web\.shop web$/m,
  );
  const iam = dns.hostsFile('iam');
  assert.match(readFileSync(iam, 'utf8'), /^127\.43\.0\.10\tweb\.shop\.svc\.cluster\.local web\.shop\.svc web\.shop$/m);
  const before = statSync(shop);
  dns.update([web]);
  assert.equal(statSync(shop).ino, before.ino, 'an unchanged file is not replaced');
  dns.update([]);
  assert.doesNotMatch(readFileSync(shop, 'utf8'), /web/);
});
