import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBuckets } from './token-buckets.ts';

test('take: a burst, then the rate; a refused request costs no token and says when to retry', () => {
  let now = 0;
  const b = new TokenBuckets({ perSecond: 1, burst: 2, now: () => now });
  assert.deepEqual(b.take('a'), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
  assert.deepEqual(b.take('a'), { allowed: true, remaining: 0, retryAfterSeconds: 0 });
  assert.deepEqual(b.take('a'), { allowed: false, remaining: 0, retryAfterSeconds: 1 });
  assert.equal(b.take('a').allowed, false, 'refusals do not dig the bucket deeper');
  assert.equal(b.take('b').allowed, true, 'each key has its own bucket');
  now += 1000;
  assert.equal(b.take('a').allowed, true, 'one token back after a second');
  assert.equal(b.take('a').allowed, false);
});

test('take: Retry-After is whole seconds until the next token, at least 1', () => {
  let now = 0;
  const slow = new TokenBuckets({ perSecond: 1 / 60, burst: 1, now: () => now });
  slow.take('a');
  assert.equal(slow.take('a').retryAfterSeconds, 60);
  now += 30_000;
  assert.equal(slow.take('a').retryAfterSeconds, 30);
  const fast = new TokenBuckets({ perSecond: 100, burst: 1, now: () => now });
  fast.take('a');
  assert.equal(fast.take('a').retryAfterSeconds, 1);
});

test('reserve: always takes a token, and returns how long until it is due', () => {
  let now = 0;
  const b = new TokenBuckets({ perSecond: 10, burst: 100, now: () => now });
  for (let i = 0; i < 100; i++) assert.equal(b.reserve('all'), 0);
  assert.equal(b.reserve('all'), 100);
  assert.equal(b.reserve('all'), 200, 'reservations queue behind each other');
  now += 1000;
  assert.equal(b.reserve('all'), 0, 'refilled at 10 per second');
});

test('buckets that are full again are forgotten, so memory follows the active keys', () => {
  let now = 0;
  const b = new TokenBuckets({ perSecond: 1, burst: 5, now: () => now });
  for (let i = 0; i < 1000; i++) b.take(`client${i}`);
  assert.equal(b.size(), 1000);
  now += 61_000;
  b.take('active');
  assert.equal(b.size(), 1, 'only the key just used is left');
});

test('a rate or burst that cannot work is refused at construction', () => {
  assert.throws(() => new TokenBuckets({ perSecond: 0, burst: 1 }), /rate must be a positive number/);
  assert.throws(() => new TokenBuckets({ perSecond: Number.NaN, burst: 1 }), /rate must be a positive number/);
  assert.throws(() => new TokenBuckets({ perSecond: 1, burst: 0 }), /burst must be at least 1/);
});
