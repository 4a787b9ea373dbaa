import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import { decideLease, microTime } from './lease.ts';

const lease = (holder: string | undefined, duration = 15): V1Lease => ({
  spec: { holderIdentity: holder, leaseDurationSeconds: duration },
});

test('decideLease: create, renew, wait, take over an expired or released lease', () => {
  assert.equal(decideLease(undefined, 'a', 0, 0), 'create');
  assert.equal(decideLease(lease('a'), 'a', 0, 100_000), 'renew');
  assert.equal(decideLease(lease('b'), 'a', 1000, 15_999), 'wait');
  assert.equal(decideLease(lease('b'), 'a', 1000, 16_000), 'takeover');
  assert.equal(decideLease(lease(undefined, 1), 'a', 1000, 1000), 'takeover');
});

test('microTime has the six fractional digits the API server requires', () => {
  assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 67)), '2026-01-02T03:04:05.067000Z');
});
