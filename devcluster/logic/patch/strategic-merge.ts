// Strategic merge patch (built-in kinds only): like a merge patch, but lists declared with a patch
// strategy merge by key, and the directives kubectl emits ($patch, $setElementOrder, $retainKeys,
// $deleteFromPrimitiveList) are honoured. Patch metadata comes from the kind's schema.
import { ownValue, setOwn } from '../../../security/index.ts';
import { childSchema, deepEqual, isObject, type Schema } from '../schema.ts';
import { PatchError } from './json-patch.ts';

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: Schema | undefined): unknown {
  if (!isObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  return mergeMap(original, patch, schema);
}

function mergeMap(original: unknown, patch: Record<string, unknown>, schema: Schema | undefined): unknown {
  const directive = ownValue(patch, '$patch');
  if (directive === 'replace') return stripDirectives(patch);
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'merge')
    throw new PatchError(`unknown patch directive $patch: ${JSON.stringify(directive)}; use merge, replace or delete`);
  const result: Record<string, unknown> = isObject(original) ? { ...original } : {};
  const orders = new Map<string, unknown[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
      orders.set(key.slice(SET_ORDER.length), value);
      continue;
    }
    if (key.startsWith(DELETE_FROM)) {
      const list = key.slice(DELETE_FROM.length);
      if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
      const current = ownValue(result, list);
      if (Array.isArray(current))
        setOwn(
          result,
          list,
          current.filter((v) => !value.some((d) => deepEqual(d, v))),
        );
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const child = childSchema(schema, key);
    if (Array.isArray(value)) setOwn(result, key, mergeList(ownValue(result, key), value, child));
    else if (isObject(value)) {
      const merged = mergeMap(ownValue(result, key), value, child);
      if (merged === undefined) delete result[key];
      else setOwn(result, key, merged);
    } else setOwn(result, key, value);
  }
  for (const [list, order] of orders) {
    const current = ownValue(result, list);
    if (Array.isArray(current))
      setOwn(result, list, reorder(current, order, childSchema(schema, list)?.['x-kubernetes-patch-merge-key']));
  }
  const retainKeys = ownValue(patch, '$retainKeys');
  if (Array.isArray(retainKeys)) {
    const keep = new Set(retainKeys as string[]);
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }
  return result;
}

function mergeList(original: unknown, patch: unknown[], schema: Schema | undefined): unknown[] {
  const strategy = schema?.['x-kubernetes-patch-strategy'] ?? '';
  const mergeKey = schema?.['x-kubernetes-patch-merge-key'];
  if (!strategy.split(',').includes('merge')) {
    if (patch.some((p) => ownValue(p, '$patch') !== undefined))
      return patch.filter((p) => ownValue(p, '$patch') !== 'replace').map(stripDirectives);
    return structuredClone(patch);
  }
  const current = Array.isArray(original) ? [...original] : [];
  if (patch.some((p) => ownValue(p, '$patch') === 'replace')) {
    return patch.filter((p) => ownValue(p, '$patch') !== 'replace').map(stripDirectives);
  }
  if (!mergeKey) {
    // a merging list of primitives (finalizers): union, in order
    for (const item of patch) if (!current.some((c) => deepEqual(c, item))) current.push(item);
    return current;
  }
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`list items must be objects with the merge key "${mergeKey}"`);
    const id = ownValue(item, mergeKey);
    const at = current.findIndex((c) => isObject(c) && deepEqual(ownValue(c, mergeKey), id));
    if (ownValue(item, '$patch') === 'delete') {
      if (at >= 0) current.splice(at, 1);
      continue;
    }
    if (at >= 0) current[at] = mergeMap(current[at], item, schema?.items);
    else current.push(stripDirectives(mergeMap(undefined, item, schema?.items)));
  }
  return current;
}

function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const idOf = (v: unknown) => (mergeKey && isObject(v) ? ownValue(v, mergeKey) : v);
  const position = (v: unknown) => {
    const i = order.findIndex((o) => deepEqual(idOf(o), idOf(v)));
    return i === -1 ? order.length : i;
  };
  return list
    .map((v, i) => ({ v, i, p: position(v) }))
    .sort((a, b) => a.p - b.p || a.i - b.i)
    .map((x) => x.v);
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER) || k.startsWith(DELETE_FROM)) continue;
    setOwn(out, k, stripDirectives(v));
  }
  return out;
}
