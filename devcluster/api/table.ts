// meta.k8s.io/v1 Table rendering for `kubectl get`: the kind's printer columns, date cells humanised
// server-side (kubectl prints cells as given), and row objects trimmed to what includeObject asks for.
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import { apiVersionOf } from '../resources/resource-type.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function columnDefinitions(type: ResourceType): object[] {
  return type.columns.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority,
  }));
}

function tableRow(type: ResourceType, obj: KubeObject, include: IncludeObject, now: number): object {
  const cells = type.columns.map((c) => {
    const v = c.cell(obj, now);
    return v === undefined ? null : v;
  });
  return { cells, object: rowObject(type, obj, include) };
}

function rowObject(type: ResourceType, obj: KubeObject, include: IncludeObject): object | null {
  if (include === 'None') return null;
  if (include === 'Object') return { ...obj, apiVersion: apiVersionOf(type), kind: type.kind };
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  meta: { resourceVersion: string; continue?: string; remainingItemCount?: number },
  include: IncludeObject,
  now: number,
  withColumns = true,
): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      resourceVersion: meta.resourceVersion,
      ...(meta.continue ? { continue: meta.continue } : {}),
      ...(meta.remainingItemCount !== undefined ? { remainingItemCount: meta.remainingItemCount } : {}),
    },
    columnDefinitions: withColumns ? columnDefinitions(type) : [],
    rows: objects.map((o) => tableRow(type, o, include, now)),
  };
}
