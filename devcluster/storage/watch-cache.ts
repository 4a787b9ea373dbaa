// The in-memory watch cache: a bounded history of committed changes (for resuming watches from a
// resourceVersion) and the live subscribers, fanned out per storage key. Like kube-apiserver's cache
// it starts empty at the current resourceVersion, so after a restart an older resourceVersion is
// answered with 410 Gone and the client relists.
import { expired } from '../api/errors.ts';
import type { StoredObject } from './sqlite-store.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: ChangeType;
  rv: number;
  storageKey: string;
  namespace: string;
  name: string;
  /** The new state (for DELETED: the last state, stamped with the deletion's resourceVersion). */
  object: StoredObject['object'];
  /** The state before the change (MODIFIED and DELETED). */
  oldObject?: StoredObject['object'];
}

export interface Subscriber {
  storageKey: string;
  /** Only changes in this namespace (undefined: all). */
  namespace?: string;
  deliver(change: Change): void;
}

export class WatchCache {
  private readonly ring: Array<Change | undefined>;
  private head = 0;
  private size = 0;
  /** Every change after this resourceVersion is still in the ring. */
  private oldestResumableRv: number;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** Subscribers to every storage key (in-process controllers). */
  private readonly global = new Set<(change: Change) => void>();

  constructor(
    startRv: number,
    readonly capacity = 20_000,
  ) {
    this.ring = new Array(capacity);
    this.oldestResumableRv = startRv;
  }

  publish(change: Change): void {
    if (this.size === this.capacity) {
      const evicted = this.ring[this.head]!;
      this.oldestResumableRv = evicted.rv;
      this.size--;
      this.head = (this.head + 1) % this.capacity;
    }
    this.ring[(this.head + this.size) % this.capacity] = change;
    this.size++;
    for (const s of this.subscribers.get(change.storageKey) ?? []) {
      if (s.namespace === undefined || s.namespace === change.namespace) s.deliver(change);
    }
    for (const listener of this.global) listener(change);
  }

  /**
   * Subscribes and first replays retained changes after `sinceRv` (undefined: no replay). Throws 410
   * Expired when `sinceRv` is older than the retained history.
   */
  subscribe(subscriber: Subscriber, sinceRv?: number): () => void {
    if (sinceRv !== undefined) {
      if (sinceRv < this.oldestResumableRv) {
        throw expired(`too old resource version: ${sinceRv} (${this.oldestResumableRv})`);
      }
      for (const change of this.since(sinceRv)) {
        if (
          change.storageKey === subscriber.storageKey &&
          (subscriber.namespace === undefined || subscriber.namespace === change.namespace)
        ) {
          subscriber.deliver(change);
        }
      }
    }
    let set = this.subscribers.get(subscriber.storageKey);
    if (!set) this.subscribers.set(subscriber.storageKey, (set = new Set()));
    set.add(subscriber);
    return () => {
      set!.delete(subscriber);
    };
  }

  /** Every committed change, any kind: the in-process controllers' feed. */
  onChange(listener: (change: Change) => void): () => void {
    this.global.add(listener);
    return () => this.global.delete(listener);
  }

  /** Retained changes after `rv`, oldest first (the ring is in resourceVersion order: binary search). */
  private *since(rv: number): Generator<Change> {
    const at = (i: number) => this.ring[(this.head + i) % this.capacity]!;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid).rv > rv) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < this.size; i++) yield at(i);
  }
}
