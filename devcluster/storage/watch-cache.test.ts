import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../api/errors.ts';
import { WatchCache, type Change } from './watch-cache.ts';

const change = (rv: number, storageKey = '/configmaps'): Change => ({
  type: 'ADDED',
  rv,
  storageKey,
  namespace: 'ns',
  name: `o${rv}`,
  object: { metadata: { name: `o${rv}` } },
});

test('resuming replays retained changes of the same kind; older resourceVersions are 410 Expired', () => {
  const cache = new WatchCache(10, 3);
  for (const rv of [11, 12, 13]) cache.publish(change(rv));
  const seen: number[] = [];
  const stop = cache.subscribe({ storageKey: '/configmaps', deliver: (c) => seen.push(c.rv) }, 11);
  cache.publish(change(14, '/secrets'));
  cache.publish(change(15));
  assert.deepEqual(seen, [12, 13, 15]);
  stop();
  // capacity 3: 13, 14, 15 remain; resuming from 11 would miss 12
  assert.throws(
    () => cache.subscribe({ storageKey: '/configmaps', deliver: () => {} }, 11),
    (e: unknown) => e instanceof ApiError && e.code === 410 && e.message === 'too old resource version: 11 (12)',
  );
  assert.doesNotThrow(() => cache.subscribe({ storageKey: '/configmaps', deliver: () => {} }, 12));
});

test('a fresh cache (after a restart) starts at the current resourceVersion', () => {
  const cache = new WatchCache(500);
  assert.throws(
    () => cache.subscribe({ storageKey: '/configmaps', deliver: () => {} }, 499),
    /too old resource version: 499 \(500\)/,
  );
});
