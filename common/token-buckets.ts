// Token buckets, one per key: `perSecond` tokens on average, at most `burst` at once. The one rate
// limiter of the project: HTTP servers limit each client with take() (a refused request costs no
// token: the client is told when to retry), and the controllers' work queue reserve()s a token for a
// retry and waits until it is due, as client-go's BucketRateLimiter does.

export interface TokenBucketOptions {
  perSecond: number;
  burst: number;
  /** Milliseconds; injected so tests move time instead of sleeping. */
  now?: () => number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: seconds until a token is back (at least 1, as Retry-After counts); else 0. */
  retryAfterSeconds: number;
}

/** Buckets that are full again are forgotten this often (they would come back full): memory stays bounded. */
const SWEEP_EVERY_MS = 60_000;

export class TokenBuckets<K = string> {
  private readonly buckets = new Map<K, { tokens: number; at: number }>();
  private readonly perMs: number;
  private readonly burst: number;
  private readonly now: () => number;
  private lastSweep: number;

  constructor(opts: TokenBucketOptions) {
    if (!(opts.perSecond > 0)) throw new Error(`token bucket rate must be a positive number, not ${opts.perSecond}`);
    if (!(opts.burst >= 1)) throw new Error(`token bucket burst must be at least 1, not ${opts.burst}`);
    this.perMs = opts.perSecond / 1000;
    this.burst = opts.burst;
    this.now = opts.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Takes a token if the key has one now. */
  take(key: K): TakeResult {
    const b = this.refilled(key);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens), retryAfterSeconds: 0 };
    }
    const waitMs = (1 - b.tokens) / this.perMs;
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Takes a token, now or owed: the milliseconds until it is due (0 when one was there). */
  reserve(key: K): number {
    const b = this.refilled(key);
    b.tokens -= 1;
    return b.tokens >= 0 ? 0 : Math.ceil(-b.tokens / this.perMs);
  }

  /** Keys with a bucket in memory. */
  size(): number {
    return this.buckets.size;
  }

  private refilled(key: K): { tokens: number; at: number } {
    const t = this.now();
    if (t - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(t);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { tokens: this.burst, at: t }));
    else {
      b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.perMs);
      b.at = t;
    }
    return b;
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [key, b] of this.buckets) if (b.tokens + (t - b.at) * this.perMs >= this.burst) this.buckets.delete(key);
  }
}
