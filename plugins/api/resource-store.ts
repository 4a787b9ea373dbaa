// The resources of one api.handler: an ordered in-memory map, written through to a persistence store
// when one is configured, so a restart sees the same data. Resource JSON is upstream's
// `{id, data, state?, lastUpdate?}`; state and lastUpdate are also kept inside `data` when persisted.
import type { ConfigMap } from '../../engine/index.ts';
import type { PersistenceStore } from '../storage/index.ts';

export interface RestResource {
  id: string;
  data: ConfigMap;
  state?: string;
  lastUpdate?: string;
}

export class ResourceStore {
  private readonly resources = new Map<string, RestResource>();

  constructor(
    /** Persistence key (upstream resource_type column). */
    readonly resourceType: string,
    private readonly persistence?: PersistenceStore,
  ) {}

  /** Load persisted resources; returns how many were loaded. */
  load(): number {
    if (!this.persistence) return 0;
    for (const [id, data] of this.persistence.loadResources(this.resourceType))
      this.resources.set(id, fromStored(id, data));
    return this.resources.size;
  }

  /** Pick up rows written by other handlers sharing the resource type (upstream syncFromPersistence). */
  refresh(): void {
    if (!this.persistence) return;
    for (const [id, data] of this.persistence.loadResources(this.resourceType)) {
      if (!this.resources.has(id)) this.resources.set(id, fromStored(id, data));
    }
  }

  has(id: string): boolean {
    return this.resources.has(id);
  }

  get(id: string): RestResource | undefined {
    const r = this.resources.get(id);
    return r && copy(r);
  }

  list(): RestResource[] {
    return [...this.resources.values()].map(copy);
  }

  /** Insert or replace; persistence first, so a failed write leaves memory unchanged. */
  put(resource: RestResource): RestResource {
    const stored = copy(resource);
    if (this.persistence) {
      const data = { ...stored.data };
      if (stored.state !== undefined) data.state = stored.state;
      if (stored.lastUpdate !== undefined) data.lastUpdate = stored.lastUpdate;
      this.persistence.saveResource(this.resourceType, stored.id, data);
    }
    this.resources.set(stored.id, stored);
    return copy(stored);
  }

  delete(id: string): boolean {
    if (!this.resources.has(id)) return false;
    this.persistence?.deleteResource(this.resourceType, id);
    this.resources.delete(id);
    return true;
  }
}

function fromStored(id: string, data: ConfigMap): RestResource {
  const { state, lastUpdate } = data;
  return {
    id,
    data,
    ...(typeof state === 'string' && state !== '' ? { state } : {}),
    ...(typeof lastUpdate === 'string' && lastUpdate !== '' ? { lastUpdate } : {}),
  };
}

function copy(r: RestResource): RestResource {
  return { ...r, data: structuredClone(r.data) };
}
