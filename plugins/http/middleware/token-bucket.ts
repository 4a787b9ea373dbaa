// Per-key token buckets (pure; the clock is injected so tests never sleep).

export interface BucketDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until the next token when denied. */
  retryAfterSeconds: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    /** Tokens per millisecond. */
    private readonly ratePerMs: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): BucketDecision {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.capacity, updated: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.capacity, b.tokens + (t - b.updated) * this.ratePerMs);
      b.updated = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens), retryAfterSeconds: 0 };
    }
    const waitMs = (1 - b.tokens) / this.ratePerMs;
    return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Forget buckets that are full again (idle clients), keeping memory bounded. */
  sweep(): void {
    const t = this.now();
    for (const [key, b] of this.buckets) {
      if (b.tokens + (t - b.updated) * this.ratePerMs >= this.capacity) this.buckets.delete(key);
    }
  }

  size(): number {
    return this.buckets.size;
  }
}
