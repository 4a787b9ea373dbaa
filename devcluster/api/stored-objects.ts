// The store and the watch cache as ObjectApi's verbs see them: read an object, commit a write only if
// the resourceVersion it was based on is still current, remove one, and publish each change to
// watchers in commit order. Conversion to and from the storage version happens here, once.
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { SqliteStore, StoreKey, StoredObject } from '../storage/sqlite-store.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { conflict, STALE_OBJECT } from './errors.ts';

/** How often a write based on a stale read is retried before the client gets a 409. */
export const UPDATE_RETRIES = 8;
export const NAMESPACES_KEY = '/namespaces';

/** The object changed between read and commit; retried unless the client gave a precondition. */
export class RetryableConflict extends Error {}

export function unwrapConflict(e: unknown, type: ResourceType, name: string): unknown {
  return e instanceof RetryableConflict
    ? conflict({ group: type.group, resource: type.plural, name }, STALE_OBJECT)
    : e;
}

export class StoredObjects {
  constructor(
    readonly store: SqliteStore,
    readonly cache: WatchCache,
  ) {}

  read(type: ResourceType, namespace: string, name: string): KubeObject | undefined {
    const found = this.store.get(this.key(type, namespace, name));
    return found ? this.fromStorage(type, found.object) : undefined;
  }

  key(type: ResourceType, namespace: string, name: string): StoreKey {
    return { storageKey: type.storageKey, namespace: type.namespaced ? namespace : '', name };
  }

  fromStorage(type: ResourceType, stored: Readonly<StoredObject['object']>): KubeObject {
    const obj = stored as unknown as KubeObject;
    return type.fromStorage ? type.fromStorage(obj) : obj;
  }

  /** Writes `obj` if the stored resourceVersion still equals `expectedRv` (undefined: must not exist). */
  commit(type: ResourceType, key: StoreKey, obj: KubeObject, expectedRv: string | undefined): KubeObject {
    const storedRv = this.store.rvOf(key);
    if ((storedRv === undefined ? undefined : String(storedRv)) !== expectedRv) throw new RetryableConflict();
    const existing = storedRv === undefined ? undefined : this.store.get(key);
    const stored = (type.toStorage ? type.toStorage(obj) : obj) as StoredObject['object'];
    this.store.put(key, stored);
    this.cache.publish({
      type: existing ? 'MODIFIED' : 'ADDED',
      rv: this.store.currentRv(),
      storageKey: key.storageKey,
      namespace: key.namespace,
      name: key.name,
      object: stored,
      oldObject: existing?.object,
    });
    return this.fromStorage(type, stored);
  }

  remove(type: ResourceType, key: StoreKey): KubeObject {
    const existing = this.store.get(key)!;
    const rv = this.store.remove(key);
    const last = structuredClone(existing.object);
    last.metadata.resourceVersion = String(rv);
    this.cache.publish({
      type: 'DELETED',
      rv,
      storageKey: key.storageKey,
      namespace: key.namespace,
      name: key.name,
      object: last,
      oldObject: existing.object,
    });
    return this.fromStorage(type, last);
  }
}
