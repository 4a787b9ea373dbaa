// Per-client token buckets: `perSecond` requests on average, bursts up to `burst`. Over the limit a
// client gets 429 with Retry-After (seconds until a token is back), as registries such as HCP's do.

export interface RateLimitOptions {
  perSecond: number;
  burst?: number;
  /** Buckets idle this long are forgotten (memory bound). */
  idleMs?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private lastSweep = 0;

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!(opts.perSecond > 0)) throw new Error('rate limit must be a positive number of requests per second');
    this.burst = opts.burst ?? Math.max(1, Math.ceil(opts.perSecond * 2));
  }

  /** 0 when the request may proceed, else the seconds to wait before retrying. */
  take(client: string): number {
    const t = this.now();
    this.sweep(t);
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.opts.perSecond);
    b.at = t;
    this.buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond));
  }

  private sweep(t: number): void {
    const idle = this.opts.idleMs ?? 60_000;
    if (t - this.lastSweep < idle) return;
    this.lastSweep = t;
    for (const [k, b] of this.buckets) if (t - b.at > idle) this.buckets.delete(k);
  }
}
