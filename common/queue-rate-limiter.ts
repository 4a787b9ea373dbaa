// How long a work-queue key waits before a retry: controller-runtime's default rate limiter
// (client-go DefaultTypedControllerRateLimiter) is the later of a per-key exponential backoff (5 ms
// doubling to 1000 s) and an overall token bucket (10 qps, burst 100), so one failing key backs off
// alone and a storm of failures cannot flood the API.
import type { Clock } from './clock.ts';
import { TokenBuckets } from './token-buckets.ts';

export interface RateLimiter<K> {
  /** Delay before `key` may be retried; counts a failure. */
  when(key: K): number;
  /** Success: reset the key's backoff. */
  forget(key: K): void;
  retries(key: K): number;
}

export class ExponentialBackoff<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}
  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }
  forget(key: K): void {
    this.failures.delete(key);
  }
  retries(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

export class DefaultControllerRateLimiter<K> implements RateLimiter<K> {
  private readonly backoff: ExponentialBackoff<K>;
  private readonly bucket: TokenBuckets<'all'>;
  constructor(clock: Clock, opts: { baseMs?: number; maxMs?: number; qps?: number; burst?: number } = {}) {
    this.backoff = new ExponentialBackoff(opts.baseMs ?? 5, opts.maxMs ?? 1_000_000);
    this.bucket = new TokenBuckets({ perSecond: opts.qps ?? 10, burst: opts.burst ?? 100, now: () => clock.now() });
  }
  when(key: K): number {
    return Math.max(this.backoff.when(key), this.bucket.reserve('all'));
  }
  forget(key: K): void {
    this.backoff.forget(key);
  }
  retries(key: K): number {
    return this.backoff.retries(key);
  }
}
