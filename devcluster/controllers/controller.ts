// The shape every in-process controller shares: a work queue fed by the watch cache, a reconcile per
// key, and a clean stop. Like a controller-runtime reconciler, the subclass only says which keys a
// change concerns and how to reconcile one.
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { WorkQueue } from './work-queue.ts';

export abstract class Controller {
  protected readonly queue: WorkQueue;
  private readonly stopWatching: () => void;

  constructor(cache: WatchCache, logger: Logger, opts: { concurrency?: number } = {}) {
    this.queue = new WorkQueue((key) => this.reconcile(key), logger, opts);
    this.stopWatching = cache.onChange((change) => this.onChange(change));
  }

  /** Enqueue the keys a committed change concerns (called synchronously: no work here). */
  protected abstract onChange(change: Change): void;

  protected abstract reconcile(key: string): Promise<void>;

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.stopWatching();
    await this.queue.stop();
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
