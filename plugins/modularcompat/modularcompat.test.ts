import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigValueError } from '../../engine/index.ts';
import { MemoryCache } from './index.ts';

test('cache entries expire after their TTL and the least recently used go first', () => {
  let now = 1000;
  const cache = new MemoryCache('c', { maxSize: 2, defaultTTL: '10s' }, () => now);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1); // a is now most recent
  cache.set('c', 3);
  assert.equal(cache.get('b'), undefined, 'b was least recently used');
  assert.deepEqual([cache.get('a'), cache.get('c')], [1, 3]);
  now += 10_001;
  assert.equal(cache.get('a'), undefined);
  cache.set('forever', 'x', 0);
  now += 1e9;
  assert.equal(cache.get('forever'), 'x');
});

test('only the memory backend is available, and saying otherwise is a located error', () => {
  assert.throws(
    () => new MemoryCache('c', { backend: 'redis' }),
    (err: ConfigValueError) => err.path[0] === 'backend',
  );
  assert.equal(new MemoryCache('c', { backend: 'memory', maxSize: 1000 }).size, 0);
});
