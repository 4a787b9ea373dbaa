// A small controller work queue: keys are de-duplicated while pending, one key is never processed
// twice at once, failures retry with per-key exponential backoff (5 ms doubling to 30 s).
import type { Logger } from 'pino';

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly logger: Logger,
    private readonly opts: { concurrency?: number; baseDelayMs?: number; maxDelayMs?: number } = {},
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.pending.add(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, delayMs);
    this.timers.add(t);
  }

  /** Resolves when nothing is pending or running (delayed keys excluded). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
    await this.idle();
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 4;
    while (this.running < limit && this.pending.size > 0) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      this.active.add(key);
      this.running++;
      this.handler(key)
        .then(() => this.failures.delete(key))
        .catch((err: unknown) => {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          const delay = Math.min((this.opts.baseDelayMs ?? 5) * 2 ** (n - 1), this.opts.maxDelayMs ?? 30_000);
          this.logger.debug({ key, err: (err as Error)?.message, retryInMs: delay }, 'work item failed; retrying');
          this.addAfter(key, delay);
        })
        .finally(() => {
          this.active.delete(key);
          this.running--;
          if (this.dirty.delete(key)) this.pending.add(key);
          this.pump();
          if (this.pending.size === 0 && this.running === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const w of waiters) w();
          }
        });
    }
  }
}
