// kube-controller-manager's clusterrole-aggregation controller: a ClusterRole with an
// aggregationRule gets, as its rules, the union of the rules of every ClusterRole its selectors
// match (so `admin`, `edit` and `view` grow when a CRD's roles are labelled to join them).
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { Controller, tolerating } from '../controllers/controller.ts';
import { deepEqual } from '../logic/schema.ts';
import { fromLabelSelectorObject, matchesLabels, type LabelSelectorObject } from '../logic/selectors.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import type { PolicyRule } from './rbac.ts';

const KEY = 'rbac.authorization.k8s.io/clusterroles';

function selectors(role: KubeObject): LabelSelectorObject[] | undefined {
  return (role.aggregationRule as { clusterRoleSelectors?: LabelSelectorObject[] } | undefined)?.clusterRoleSelectors;
}

/** The rules an aggregated ClusterRole should hold, given every ClusterRole (pure). */
export function aggregatedRules(role: KubeObject, all: KubeObject[]): PolicyRule[] {
  const parsed = (selectors(role) ?? []).map((s) => fromLabelSelectorObject(s));
  const rules: PolicyRule[] = [];
  const sources = all
    .filter((r) => r.metadata.name !== role.metadata.name)
    .filter((r) => parsed.some((sel) => sel.length > 0 && matchesLabels(sel, r.metadata.labels ?? {})))
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  for (const source of sources) {
    for (const rule of (source.rules ?? []) as PolicyRule[])
      if (!rules.some((r) => deepEqual(r, rule))) rules.push(rule);
  }
  return rules;
}

export class ClusterRoleAggregationController extends Controller {
  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
  ) {
    super(cache, logger);
  }

  private get type(): ResourceType {
    return this.catalog.lookup('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  }

  start(): void {
    this.enqueueAggregated();
  }

  protected onChange(change: Change): void {
    if (change.storageKey === KEY) this.enqueueAggregated();
  }

  private enqueueAggregated(): void {
    for (const r of this.api.list(this.type, undefined).items) if (selectors(r)) this.queue.add(r.metadata.name!);
  }

  protected async reconcile(name: string): Promise<void> {
    const role = this.api.tryGet(this.type, '', name);
    if (!role || !selectors(role)) return;
    const rules = aggregatedRules(role, this.api.list(this.type, undefined).items);
    if (deepEqual(rules, role.rules ?? [])) return;
    await this.api
      .update(this.type, '', name, { ...role, rules }, systemContext('clusterrole-aggregation-controller'))
      .catch(tolerating(404, 409));
  }
}
