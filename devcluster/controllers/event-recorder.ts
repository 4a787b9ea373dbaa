// Records core/v1 Events about objects, as client-go's recorder does for the real controllers:
// repeated events (same object, reason and message) increment `count` instead of piling up. Events
// are best effort: a failure to record one is logged, never an error of the action it describes.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';

export class EventRecorder {
  /** (uid, reason, message) -> the event recording it */
  private readonly recent = new Map<string, string>();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    private readonly component: string,
    private readonly logger: Logger,
  ) {}

  record(regarding: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.write(regarding, type, reason, message).catch((e: unknown) =>
      this.logger.debug({ err: (e as Error).message, reason }, 'could not record an event'),
    );
  }

  private async write(regarding: KubeObject, type: string, reason: string, message: string): Promise<void> {
    const events = this.catalog.lookup('', 'v1', 'events')!;
    const namespace = regarding.metadata.namespace || 'default';
    const key = `${regarding.metadata.uid}\u0000${reason}\u0000${message}`;
    const ctx = systemContext(this.component);
    const now = nowSeconds();
    const existing = this.recent.get(key);
    if (existing) {
      const current = this.api.tryGet(events, namespace, existing);
      if (current) {
        await this.api.patch(
          events,
          namespace,
          existing,
          'merge',
          { count: Number(current.count ?? 1) + 1, lastTimestamp: now },
          ctx,
        );
        return;
      }
    }
    const name = `${regarding.metadata.name}.${randomBytes(8).toString('hex')}`;
    this.recent.set(key, name);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.keys().next().value!);
    await this.api.create(
      events,
      namespace,
      {
        metadata: { name },
        involvedObject: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          namespace: regarding.metadata.namespace,
          name: regarding.metadata.name,
          uid: regarding.metadata.uid,
          resourceVersion: regarding.metadata.resourceVersion,
        },
        reason,
        message,
        type,
        source: { component: this.component, host: 'devcluster' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: this.component,
        reportingInstance: 'devcluster',
      },
      ctx,
    );
  }
}
