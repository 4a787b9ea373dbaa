// Terse constructors for the structural schemas of built-in kinds. The patch metadata doubles as the
// list semantics server-side apply uses (merge key => listType map), as in the real OpenAPI.
import type { Schema } from '../logic/schema.ts';

export const str = (extra: Partial<Schema> = {}): Schema => ({ type: 'string', ...extra });
export const int = (extra: Partial<Schema> = {}): Schema => ({ type: 'integer', format: 'int32', ...extra });
export const int64 = (extra: Partial<Schema> = {}): Schema => ({ type: 'integer', format: 'int64', ...extra });
export const num = (extra: Partial<Schema> = {}): Schema => ({ type: 'number', ...extra });
export const bool = (extra: Partial<Schema> = {}): Schema => ({ type: 'boolean', ...extra });
export const time = (): Schema => ({ type: 'string', format: 'date-time' });
export const intOrString = (): Schema => ({ 'x-kubernetes-int-or-string': true });
export const stringMap = (): Schema => ({ type: 'object', additionalProperties: { type: 'string' } });
/** A subtree devcluster does not model field by field: kept as sent, never reported as unknown. */
export const opaque = (): Schema => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });

export function obj(properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema {
  return { type: 'object', properties, ...extra };
}

/** A list merged by key (strategic merge key = first key; SSA listType=map). */
export function keyedList(items: Schema, keys: string[], extra: Partial<Schema> = {}): Schema {
  return {
    type: 'array',
    items,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': keys,
    'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-patch-merge-key': keys[0]!,
    ...extra,
  };
}

export const atomicList = (items: Schema, extra: Partial<Schema> = {}): Schema => ({
  type: 'array',
  items,
  'x-kubernetes-list-type': 'atomic',
  ...extra,
});
export const setList = (items: Schema, extra: Partial<Schema> = {}): Schema => ({
  type: 'array',
  items,
  'x-kubernetes-list-type': 'set',
  ...extra,
});
