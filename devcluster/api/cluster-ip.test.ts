import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateClusterIP } from './cluster-ip.ts';

/** Allocates `n` addresses one after another, as Services created in a row get them. */
function allocateMany(kubernetesIP: string | undefined, n: number): string[] {
  const inUse = new Set<string>(kubernetesIP ? [kubernetesIP] : []);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = allocateClusterIP(kubernetesIP, inUse);
    inUse.add(ip);
    out.push(ip);
  }
  return out;
}

test('a cluster holds far more than 253 Services (a 300-app GitOps sync needs 300)', () => {
  const ips = allocateMany('127.77.159.1', 1000);
  assert.equal(new Set(ips).size, 1000);
  assert.ok(!ips.includes('127.77.159.1'), 'never the kubernetes Service address');
  for (const ip of ips) assert.match(ip, /^127\.77\.\d+\.\d+$/, 'within the /16 of the kubernetes Service');
});

test('addresses follow the kubernetes Service, in its /24 first, and wrap around within the /16', () => {
  assert.deepEqual(allocateMany('127.9.4.1', 3), ['127.9.4.2', '127.9.4.3', '127.9.4.4']);
  assert.equal(allocateMany('127.9.4.1', 255).at(-1), '127.9.5.0');
  // from the top of the /16 back to its bottom, past the broadcast and network addresses
  assert.deepEqual(allocateMany('127.9.255.253', 3), ['127.9.255.254', '127.9.0.1', '127.9.0.2']);
});

test('a freed address is given again; one in use never is', () => {
  const inUse = new Set(['127.5.6.1', '127.5.6.2', '127.5.6.4']);
  assert.equal(allocateClusterIP('127.5.6.1', inUse), '127.5.6.3');
  inUse.delete('127.5.6.2');
  assert.equal(allocateClusterIP('127.5.6.1', inUse), '127.5.6.2');
});

test('without a loopback kubernetes Service the range is 127.43.0.0/16', () => {
  assert.equal(allocateClusterIP(undefined, new Set()), '127.43.0.2');
  assert.equal(allocateClusterIP('10.43.0.1', new Set()), '127.43.0.2');
});

test('a full range is a clear API error', () => {
  const inUse = new Set<string>();
  for (let host = 1; host < 0xffff; host++) inUse.add(`127.8.${host >> 8}.${host & 0xff}`);
  assert.throws(
    () => allocateClusterIP('127.8.0.1', inUse),
    /failed to allocate a serviceIP: range 127\.8\.0\.0\/16 is full/,
  );
});
