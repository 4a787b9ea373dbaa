// Events expire after an hour, as kube-apiserver's --event-ttl does (there through etcd leases), so a
// long-running devcluster does not accumulate them.
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { tolerating } from './controller.ts';

export class EventTtl {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    private readonly logger: Logger,
    private readonly ttlMs = 3_600_000,
  ) {
    this.timer = setInterval(() => void this.sweep(), Math.min(ttlMs, 600_000));
    this.timer.unref();
  }

  async sweep(now = Date.now()): Promise<number> {
    const events = this.catalog.lookup('', 'v1', 'events')!;
    let removed = 0;
    for (const e of this.api.list(events, undefined).items) {
      const last = Date.parse(String(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp));
      if (now - last < this.ttlMs) continue;
      await this.api
        .delete(events, e.metadata.namespace!, e.metadata.name!, {}, systemContext('event-ttl'))
        .catch(tolerating(404, 409));
      removed++;
    }
    if (removed) this.logger.debug({ removed }, 'expired events removed');
    return removed;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
