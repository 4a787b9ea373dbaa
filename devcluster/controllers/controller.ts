// The shape every in-process controller shares: a work queue fed by the watch cache, a reconcile per
// key, and a clean stop. Like a controller-runtime reconciler, the subclass only says which keys a
// change concerns and how to reconcile one.
import type { Logger } from 'pino';
import { ExponentialBackoff, systemClock, WorkQueue } from '../../common/index.ts';
import { ApiError } from '../api/errors.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';

export abstract class Controller {
  /** Failures retry after 5 ms doubling to 30 s: in-process, a conflict or a missing object resolves fast. */
  protected readonly queue = new WorkQueue<string>(systemClock, new ExponentialBackoff<string>(5, 30_000));
  private readonly stopWatching: () => void;
  private readonly queueWorkers: Promise<void>[];
  private stopped = false;

  constructor(cache: WatchCache, logger: Logger, opts: { concurrency?: number } = {}) {
    this.stopWatching = cache.onChange((change) => this.onChange(change));
    // the workers first wait for a key, so they start after the subclass's constructor has run
    this.queueWorkers = Array.from({ length: opts.concurrency ?? 4 }, () => this.work(logger));
  }

  /** Enqueue the keys a committed change concerns (called synchronously: no work here). */
  protected abstract onChange(change: Change): void;

  protected abstract reconcile(key: string): Promise<void>;

  /** Stops watching, drops the keys still queued and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatching();
    this.queue.shutDown();
    await Promise.all(this.queueWorkers);
  }

  private async work(logger: Logger): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        if (!this.stopped) await this.reconcile(key);
        this.queue.forget(key);
      } catch (err) {
        logger.debug({ key, err: (err as Error)?.message, retries: this.queue.retries(key) }, 'reconcile failed');
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}

/**
 * A `.catch` handler for writes that may lose a race with another writer: the listed codes (404: the
 * object is gone; 409: it changed under us, and its change event brings the key back) are expected.
 */
export function tolerating(...codes: number[]): (e: unknown) => undefined {
  return (e) => {
    if (e instanceof ApiError && codes.includes(e.code)) return undefined;
    throw e;
  };
}
