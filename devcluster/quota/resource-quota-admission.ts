// The ResourceQuota admission plugin: a create (or a claim's growth) that would take a namespace
// past a quota's hard limit is refused with kube's message, and so is a pod that leaves unset a
// compute resource a quota limits. Namespaces without quotas pay one in-memory lookup.
import type { Admission } from '../admission/admission.ts';
import { forbidden } from '../api/errors.ts';
import type { ObjectApi } from '../api/object-api.ts';
import { formatAmount, missingCompute, usageOf } from '../logic/quota.ts';
import { parseQuantity } from '../logic/quantity.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { inScope, namespaceUsage, quotaView } from './quota-usage.ts';

export function resourceQuotaAdmission(api: () => ObjectApi, catalog: ResourceCatalog): Admission {
  return {
    mutate: async (attrs) => attrs.object,
    async validate(attrs) {
      const { type, object } = attrs;
      if (!type.namespaced || attrs.subresource || !object) return;
      if (
        attrs.operation !== 'CREATE' &&
        !(attrs.operation === 'UPDATE' && type.storageKey === '/persistentvolumeclaims')
      )
        return;
      const quotaType = catalog.lookup('', 'v1', 'resourcequotas')!;
      const quotas = api().list(quotaType, attrs.namespace).items;
      if (quotas.length === 0) return;
      const obj = object as KubeObject;
      const delta = usageOf(type, obj);
      if (attrs.oldObject)
        for (const [k, v] of usageOf(type, attrs.oldObject as KubeObject)) delta.set(k, (delta.get(k) ?? 0) - v);
      const ref = { group: type.group, resource: type.plural, name: attrs.name };
      for (const quota of quotas) {
        const view = quotaView(quota);
        if (!inScope(type, obj, view.scopes)) continue;
        const name = quota.metadata.name!;
        if (type.storageKey === '/pods') {
          const missing = missingCompute(obj, view.hard);
          if (missing.length) throw forbidden(ref, `failed quota: ${name}: must specify ${missing.join('; ')}`);
        }
        const touched = Object.keys(view.hard).filter((k) => (delta.get(k) ?? 0) > 0);
        if (!touched.length) continue;
        const used = namespaceUsage(
          api(),
          catalog,
          attrs.namespace,
          view,
          attrs.oldObject ? { storageKey: type.storageKey, name: attrs.name } : undefined,
        );
        const over = touched.filter(
          (k) => (used.get(k) ?? 0) + (delta.get(k) ?? 0) > (parseQuantity(view.hard[k]) ?? 0) + 1e-9,
        );
        if (!over.length) continue;
        const show = (values: (k: string) => number) =>
          over.map((k) => `${k}=${formatAmount(k, values(k), view.hard[k])}`).join(',');
        throw forbidden(
          ref,
          `exceeded quota: ${name}, requested: ${show((k) => delta.get(k) ?? 0)}, used: ` +
            `${show((k) => used.get(k) ?? 0)}, limited: ${show((k) => parseQuantity(view.hard[k]) ?? 0)}`,
        );
      }
    },
  };
}
