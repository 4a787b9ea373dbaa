// controller-runtime's default rate limiter (client-go DefaultTypedControllerRateLimiter): the later
// of a per-item exponential backoff (5 ms doubling to 1000 s) and an overall token bucket (10 qps,
// burst 100), so one failing app backs off alone and a storm of failures cannot flood the API.
import type { Clock } from './clock.ts';

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

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }
  /** Takes a token and returns how long to wait for it (0 when one is available now). */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
}

export class DefaultControllerRateLimiter<K> implements RateLimiter<K> {
  private readonly backoff: ExponentialBackoff<K>;
  private readonly bucket: TokenBucket;
  constructor(clock: Clock, opts: { baseMs?: number; maxMs?: number; qps?: number; burst?: number } = {}) {
    this.backoff = new ExponentialBackoff(opts.baseMs ?? 5, opts.maxMs ?? 1_000_000);
    this.bucket = new TokenBucket(opts.qps ?? 10, opts.burst ?? 100, clock);
  }
  when(key: K): number {
    return Math.max(this.backoff.when(key), this.bucket.reserve());
  }
  forget(key: K): void {
    this.backoff.forget(key);
  }
  retries(key: K): number {
    return this.backoff.retries(key);
  }
}
