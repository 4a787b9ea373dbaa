// Kubernetes Events (core/v1, which `kubectl describe` lists) for significant actions. Like
// client-go's recorder it never blocks or fails the caller, and it folds a repeat of the same
// reason and message on the same object into a count on the existing Event instead of a new one.
import type { CoreV1Event } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeClient } from './client.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorder {
  event(subject: EventSubject, type: EventType, reason: string, message: string): void;
}

interface Recent {
  name: string;
  count: number;
  at: number;
}

const aggregateWindowMs = 10 * 60 * 1000;
const maxRemembered = 4096;

export class KubeEventRecorder implements EventRecorder {
  private readonly recent = new Map<string, Recent>();
  private readonly inflight = new Set<Promise<void>>();
  private seq = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly instance: string,
    private readonly logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  event(subject: EventSubject, type: EventType, reason: string, message: string): void {
    const p = this.write(subject, type, reason, message).catch((err: Error) => {
      this.logger?.warn({ err: err.message, reason }, 'could not record event');
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Waits for events in flight (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  private async write(subject: EventSubject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = subject.metadata.namespace ?? 'default';
    const key = `${subject.metadata.uid}\0${type}\0${reason}\0${message}`;
    const now = this.now();
    const stamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const seen = this.recent.get(key);
    if (seen && now - seen.at < aggregateWindowMs) {
      seen.count++;
      seen.at = now;
      try {
        await this.client.call(`update event ${namespace}/${seen.name}`, () =>
          this.client.core.patchNamespacedEvent(
            { namespace, name: seen.name, body: { count: seen.count, lastTimestamp: stamp } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        );
        this.client.wrote('patch', 'Event');
        return;
      } catch {
        // the event expired or was deleted: record a fresh one
      }
    }
    const name = `${subject.metadata.name}.${(now * 1000 + (this.seq++ % 1000)).toString(16)}`;
    const body: CoreV1Event = {
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: subject.apiVersion,
        kind: subject.kind,
        name: subject.metadata.name,
        namespace,
        uid: subject.metadata.uid,
        resourceVersion: subject.metadata.resourceVersion,
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: stamp as unknown as Date,
      lastTimestamp: stamp as unknown as Date,
      count: 1,
    };
    await this.client.call(`create event for ${subject.kind} ${namespace}/${subject.metadata.name}`, () =>
      this.client.core.createNamespacedEvent({ namespace, body }),
    );
    this.client.wrote('create', 'Event');
    if (this.recent.size >= maxRemembered) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, { name, count: 1, at: now });
  }
}
