// A rate-limited work queue with client-go semantics: a key waits in the queue at most once
// (dedup), is never handed to two workers at once (a key added while being processed is queued
// again when done), and can be re-added after a delay or with per-key backoff. The one work queue:
// the operator's controllers and devcluster's run on it.
import type { Clock } from './clock.ts';
import type { RateLimiter } from './queue-rate-limiter.ts';

export interface QueueMetrics {
  added(): void;
  depth(n: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  waited(seconds: number): void;
  /** Seconds a worker held a key. */
  worked(seconds: number): void;
  retried(): void;
}

export class WorkQueue<K> {
  /** Keys ready for a worker, oldest first (a Set: taking the first is O(1), unlike Array.shift). */
  private readonly queue = new Set<K>();
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly addedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();
  private readonly delayed = new Map<K, { at: number; handle: unknown }>();
  private readonly waiters: Array<(key: K | undefined) => void> = [];
  private shuttingDown = false;

  constructor(
    private readonly clock: Clock,
    private readonly limiter: RateLimiter<K>,
    private readonly metrics?: QueueMetrics,
  ) {}

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics?.added();
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  addRateLimited(key: K): void {
    this.metrics?.retried();
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: K): void {
    this.limiter.forget(key);
  }

  retries(key: K): number {
    return this.limiter.retries(key);
  }

  /** Next key to work on; undefined once the queue is shut down. Call done(key) afterwards. */
  get(): Promise<K | undefined> {
    if (this.queue.size > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.worked((this.clock.now() - started) / 1000);
    if (this.dirty.has(key)) this.push(key);
  }

  len(): number {
    return this.queue.size;
  }

  /** Keys queued, being processed or waiting out a delay: zero means nothing is left to do. */
  pending(): number {
    return this.dirty.size + this.processing.size + this.delayed.size;
  }

  /**
   * Keys queued or being processed; those waiting out a delay do not count. False once every key
   * added so far has been handled: a test's way to know an event was seen to the end, not a sleep.
   */
  busy(): boolean {
    return this.dirty.size > 0 || this.processing.size > 0;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private push(key: K): void {
    this.queue.add(key);
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take());
    else this.metrics?.depth(this.queue.size);
  }

  private take(): K {
    const key = this.queue.values().next().value as K;
    this.queue.delete(key);
    this.metrics?.depth(this.queue.size);
    this.dirty.delete(key);
    this.processing.add(key);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics?.waited((this.clock.now() - added) / 1000);
    this.startedAt.set(key, this.clock.now());
    return key;
  }
}
