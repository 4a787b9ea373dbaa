// The DefaultStorageClass admission plugin: a claim created without spec.storageClassName gets the
// default class (the newest one annotated storageclass.kubernetes.io/is-default-class=true). An
// explicit "" keeps meaning "no class: bind only to a pre-made volume".
import type { ObjectApi } from '../api/object-api.ts';
import { pickDefaultClass } from '../resources/builtin/storage.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { Admission } from './admission.ts';

export function defaultStorageClassAdmission(api: () => ObjectApi, catalog: ResourceCatalog): Admission {
  return {
    async mutate(attrs) {
      const obj = attrs.object;
      if (attrs.operation !== 'CREATE' || attrs.subresource || attrs.type.storageKey !== '/persistentvolumeclaims')
        return obj;
      const spec = (obj?.spec ?? {}) as { storageClassName?: string };
      if (!obj || spec.storageClassName !== undefined) return obj;
      const classes = catalog.lookup('storage.k8s.io', 'v1', 'storageclasses')!;
      const chosen = pickDefaultClass(api().list(classes, undefined).items);
      if (!chosen) return obj;
      const out = structuredClone(obj);
      out.spec = { ...(out.spec as object), storageClassName: chosen.metadata.name };
      return out;
    },
    async validate() {},
  };
}
