// Fills in the parts of a built-in ResourceType that follow from its names.
import {
  AGE_COLUMN,
  ALL_VERBS,
  NAME_COLUMN,
  storageKeyOf,
  type PrinterColumn,
  type ResourceType,
} from '../resource-type.ts';
import { intOrString } from '../schema-dsl.ts';

export type BuiltinSpec = Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural' | 'namespaced' | 'schema'> &
  Partial<Omit<ResourceType, 'columns'>> & {
    /** Columns between NAME and AGE (or all columns, with `replaceColumns`). */
    columns?: PrinterColumn[];
    trailingColumns?: PrinterColumn[];
    replaceColumns?: boolean;
  };

export function defineBuiltin(spec: BuiltinSpec): ResourceType {
  const { columns = [], trailingColumns = [], replaceColumns = false, ...rest } = spec;
  return {
    listKind: `${spec.kind}List`,
    singular: spec.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    storageKey: storageKeyOf(spec.group, spec.plural),
    builtin: true,
    nameRule: 'subdomain',
    tracksGeneration: false,
    statusSubresource: false,
    fieldSelectors: {},
    strategy: {},
    deleteReturnsObject: false,
    ...rest,
    columns: replaceColumns ? columns : [NAME_COLUMN, ...columns, AGE_COLUMN, ...trailingColumns],
  };
}

/** A read-only cell helper: `get(o, 'spec', 'replicas')`. */
export function get(o: unknown, ...path: Array<string | number>): unknown {
  let v: unknown = o;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** A printer column (`kubectl get`) whose cell is computed from the object; a string unless `type` says. */
export function col(
  name: string,
  cell: PrinterColumn['cell'],
  priority = 0,
  type: PrinterColumn['type'] = 'string',
): PrinterColumn {
  return { name, type, cell, priority, description: '' };
}

/** A map of resource names to quantities (ResourceQuota hard/used, LimitRange limits, capacity). */
export const quantityMap = () => ({ type: 'object' as const, additionalProperties: intOrString() });
