// What the console knows about the cluster: a watch (list + watch, kept alive by the operator's
// ResilientInformer) on WorkflowApps, WorkflowSources and WorkflowTenants. Pages read from these
// caches, never from a request per page view; a change is announced so the SSE stream pushes it.
// A kind whose CRD is not installed reads as "not available" and is retried, not an error page.
import { EventEmitter } from 'node:events';
import { CustomObjectsApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeApiError, ResilientInformer } from '../../operator/index.ts';
import type { AppSummary, Collection, SourceSummary, StreamKind, TenantSummary } from '../api-types.ts';
import { appSummary, byNamespaceAndName, sourceSummary, tenantSummary } from './views.ts';

export const group = 'workflow.gocodealone.com';
export const version = 'v1alpha1';

interface KindSpec {
  plural: string;
  namespaced: boolean;
}

export const kinds: Record<StreamKind, KindSpec> = {
  apps: { plural: 'workflowapps', namespaced: true },
  sources: { plural: 'workflowsources', namespaced: true },
  tenants: { plural: 'workflowtenants', namespaced: false },
};

interface Summaries {
  apps: AppSummary;
  sources: SourceSummary;
  tenants: TenantSummary;
}

const summarize: { [K in StreamKind]: (o: unknown) => Summaries[K] } = {
  apps: appSummary,
  sources: sourceSummary,
  tenants: tenantSummary,
};

export class ClusterView extends EventEmitter<{ change: [StreamKind] }> {
  private readonly informers: Record<StreamKind, ResilientInformer<KubernetesObject>>;

  constructor(kc: KubeConfig, logger: Logger) {
    super();
    const custom = kc.makeApiClient(CustomObjectsApi);
    const make = (kind: StreamKind) => {
      const { plural } = kinds[kind];
      const informer = new ResilientInformer<KubernetesObject>(kc, {
        name: plural,
        path: `/apis/${group}/${version}/${plural}`,
        list: () =>
          kinds[kind].namespaced
            ? custom.listCustomObjectForAllNamespaces({ group, version, plural })
            : custom.listClusterCustomObject({ group, version, plural }),
        logger,
      });
      informer.on(() => this.emit('change', kind));
      return informer;
    };
    this.informers = { apps: make('apps'), sources: make('sources'), tenants: make('tenants') };
  }

  /**
   * Starts every watch; resolves once each kind has listed or failed its first list (a missing CRD
   * is retried in the background, and shows up as soon as it is installed), or after `maxWaitMs`.
   */
  async start(maxWaitMs = 5000): Promise<void> {
    for (const [kind, informer] of Object.entries(this.informers))
      void informer.start().then(() => this.emit('change', kind as StreamKind));
    const deadline = Date.now() + maxWaitMs;
    const settled = () => Object.values(this.informers).every((i) => i.synced || i.lastError !== undefined);
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
  }

  collection<K extends StreamKind>(kind: K): Collection<Summaries[K]> {
    const informer = this.informers[kind];
    const error = informer.lastError;
    const missing = !informer.synced && error instanceof KubeApiError && error.code === 404;
    const items = informer.synced ? informer.list().map((o) => summarize[kind](o)) : [];
    return {
      available: !missing,
      synced: informer.synced,
      error: informer.synced || missing ? null : (error?.message ?? null),
      items: items.sort(byNamespaceAndName),
    };
  }

  /** The object as cached, or undefined. */
  get(kind: StreamKind, name: string, namespace?: string): KubernetesObject | undefined {
    return this.informers[kind].get(name, kinds[kind].namespaced ? namespace : undefined);
  }
}
