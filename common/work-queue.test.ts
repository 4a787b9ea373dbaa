import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.ts';
import { DefaultControllerRateLimiter, ExponentialBackoff } from './queue-rate-limiter.ts';
import { WorkQueue } from './work-queue.ts';

function queue(clock = new ManualClock()) {
  return { clock, q: new WorkQueue<string>(clock, new DefaultControllerRateLimiter(clock)) };
}

test('a key waits in the queue once, however often it is added', async () => {
  const { q } = queue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
});

test('a key being processed is not handed out again until done, then comes back once', async () => {
  const { q } = queue();
  q.add('a');
  const key = await q.get();
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'held back while a worker has it');
  q.done(key!);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  assert.equal(q.pending(), 0);
});

test('busy until every key added has been handled; a delayed key does not count', async () => {
  const { clock, q } = queue();
  assert.equal(q.busy(), false);
  q.addAfter('later', 1000);
  assert.equal(q.busy(), false, 'waiting out a delay');
  q.add('a');
  assert.equal(q.busy(), true, 'queued');
  const key = await q.get();
  assert.equal(q.busy(), true, 'being processed');
  q.add('a');
  q.done(key!);
  assert.equal(q.busy(), true, 'added again while processed: queued once more');
  q.done((await q.get())!);
  assert.equal(q.busy(), false);
  assert.equal(q.pending(), 1, 'the delayed key is still pending');
  clock.advance(1000);
  assert.equal(q.busy(), true, 'the delay is over');
});

test('get waits for an add; shutDown releases waiters with undefined', async () => {
  const { q } = queue();
  const waiting = q.get();
  q.add('x');
  assert.equal(await waiting, 'x');
  const again = q.get();
  q.shutDown();
  assert.equal(await again, undefined);
  q.add('y');
  assert.equal(await q.get(), undefined);
});

test('addAfter delays, and the earliest pending delay wins', async () => {
  const { q, clock } = queue();
  q.addAfter('a', 1000);
  q.addAfter('a', 5000);
  q.addAfter('a', 200);
  clock.advance(199);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  clock.advance(10_000);
  assert.equal(q.len(), 1, 'the later timers were replaced, not added');
});

test('per-key exponential backoff from 5 ms to 1000 s; forget resets it', () => {
  const b = new ExponentialBackoff<string>();
  const delays = Array.from({ length: 20 }, () => b.when('k'));
  assert.deepEqual(delays.slice(0, 4), [5, 10, 20, 40]);
  assert.equal(delays[19], 1_000_000);
  assert.equal(b.when('other'), 5, 'keys back off independently');
  b.forget('k');
  assert.equal(b.when('k'), 5);
});

test('the controller rate limiter: a burst of 100 retries, then 10 per second, however many keys', () => {
  const clock = new ManualClock();
  const limiter = new DefaultControllerRateLimiter<string>(clock);
  for (let i = 0; i < 100; i++) assert.equal(limiter.when(`k${i}`), 5, 'the first backoff of each key');
  assert.equal(limiter.when('k100'), 100, 'the bucket is empty: a token is due in 100 ms');
  assert.equal(limiter.when('k101'), 200);
  clock.advance(1000);
  assert.equal(limiter.when('k102'), 5, 'refilled at 10 qps');
});

test('many keys come out in the order they went in', async () => {
  const { q } = queue();
  for (let i = 0; i < 5000; i++) q.add(i % 2 ? `odd${i}` : `even${i}`);
  q.add('odd1');
  assert.equal(q.len(), 5000);
  for (let i = 0; i < 5000; i++) {
    const key = await q.get();
    assert.equal(key, i % 2 ? `odd${i}` : `even${i}`);
    q.done(key!);
  }
  assert.equal(q.pending(), 0);
});

test('addRateLimited backs a failing key off and counts retries', async () => {
  const { q, clock } = queue();
  q.addRateLimited('a');
  q.addRateLimited('a');
  assert.equal(q.retries('a'), 2);
  clock.advance(5);
  assert.equal(q.len(), 1);
  const k = await q.get();
  q.done(k!);
  q.forget('a');
  assert.equal(q.retries('a'), 0);
});
