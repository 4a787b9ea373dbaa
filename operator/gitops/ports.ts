// What reconcileSource works with: the caches (read), the apply client and git (I/O), and the
// controller's memory of each source between passes. Kept apart so reconcile stays a pure
// function of these.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { WorkflowSource } from '../api/source-types.ts';
import type { WriteMemory } from '../controller/up-to-date.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Commit } from './git-fetch.ts';
import type { ObjectRef, Rendered } from './render-source.ts';

export interface SourceCache {
  source(namespace: string, name: string): WorkflowSource | undefined;
  /**
   * The live object from the informer caches; 'uncached' for kinds the operator does not cache
   * (allowedKinds beyond WorkflowApp, ConfigMap, Secret, Deployment, Service).
   */
  live(ref: ObjectRef): KubernetesObject | undefined | 'uncached';
  /** Cached objects carrying this source's tracking annotation. */
  tracked(sourceKey: string): KubernetesObject[];
}

export interface SourceClient {
  apply(obj: KubernetesObject): Promise<KubernetesObject>;
  /** A GET, for kinds the operator does not cache. */
  read(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  /** Deletes the object if it is still the one seen (uid precondition). */
  delete(obj: KubernetesObject): Promise<void>;
  patchStatus(source: WorkflowSource, patch: unknown): Promise<void>;
}

/** A revision read and rendered. */
export interface Fetched {
  commit: Commit;
  rendered: Rendered;
}

export interface SourceMemory {
  fetched?: Fetched;
  /** Generation and spec the fetched revision was rendered for. */
  fetchedFor?: string;
  nextFetchAt: number;
  failures: number;
  /** A push webhook asked for a fetch. */
  refreshRequested: boolean;
  /** Last refresh annotation acted on (webhooks received by a replica that was not leading). */
  refreshAnnotation?: string;
  /** Generation whose sync operation completed (in memory: after a restart the next pass syncs once). */
  syncedGeneration?: number;
}

export interface SourceDeps {
  cache: SourceCache;
  client: SourceClient;
  /** Fetches the source's revision and renders it (also checks inline engine configs). */
  fetch(source: WorkflowSource, opts: { pushed: boolean }): Promise<Fetched>;
  memory(key: string): SourceMemory;
  forget(key: string): Promise<void>;
  writes: WriteMemory;
  events: EventRecorder;
  now: () => number;
  /** 0.9..1.1: spreads the sources' fetches over time. */
  jitter: () => number;
  /** Applies in flight at once within one wave. */
  applyConcurrency?: number;
  logger?: Logger;
}

export interface SourceResult {
  requeueAfterMs?: number;
}
