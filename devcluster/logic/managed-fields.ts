// metadata.managedFields bookkeeping and server-side apply: which manager owns which fields, how an
// applied configuration merges into the live object, when it conflicts and what it removes.
import type { ManagedFieldsEntry } from '../resources/object-meta.ts';
import { FieldSet, fieldSetOf, formatFieldPath, removeAt, valueAt, type FieldPath } from './field-set.ts';
import { ownValue, setOwn } from '../../security/index.ts';
import { childSchema, deepEqual, isObject, listSemantics, type Schema } from './schema.ts';

type Obj = Record<string, unknown>;

export interface OwnershipContext {
  manager: string;
  apiVersion: string;
  /** 'status' for writes through the status subresource. */
  subresource?: string;
  /** The kind has a status subresource: main-resource writers never own status and vice versa. */
  statusSubresource: boolean;
  schema: Schema;
  time: string;
}

export interface FieldConflict {
  manager: string;
  path: FieldPath;
}

function scopeOf(ctx: OwnershipContext): 'all' | 'main' | 'status' {
  if (ctx.subresource === 'status') return 'status';
  return ctx.statusSubresource ? 'main' : 'all';
}

function sameEntry(
  e: ManagedFieldsEntry,
  manager: string,
  operation: 'Apply' | 'Update',
  subresource?: string,
): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');
}

/** Drops owned paths that no longer exist in `object`, and entries left with nothing. */
function reconcileEntries(
  entries: Array<{ entry: ManagedFieldsEntry; set: FieldSet }>,
  object: Obj,
  schema: Schema,
): ManagedFieldsEntry[] {
  const present = fieldSetOf(object, schema);
  const out: ManagedFieldsEntry[] = [];
  for (const { entry, set } of entries) {
    const kept = set.intersection(present);
    dropHollowMembers(kept, present);
    if (kept.isEmpty()) continue;
    out.push({ ...entry, fieldsV1: kept.toFieldsV1() });
  }
  return out;
}

/**
 * A manager that owned a map or keyed list only through its entries keeps no claim on the container
 * once the entries moved to other managers (structured-merge-diff serialises such a claim as a leaf).
 */
function dropHollowMembers(owned: FieldSet, present: FieldSet): void {
  for (const [element, child] of owned.children) {
    const actual = present.children.get(element);
    if (!actual) continue;
    dropHollowMembers(child, actual);
    if (child.member && child.children.size === 0 && actual.children.size > 0) child.member = false;
    if (child.isEmpty()) owned.children.delete(element);
  }
}

/**
 * After a create, update or non-apply patch: the writer takes ownership of every field it added or
 * changed (taking it away from other managers); fields that disappeared are owned by no one.
 */
export function recordUpdate(
  entries: ManagedFieldsEntry[],
  oldObject: Obj | undefined,
  newObject: Obj,
  ctx: OwnershipContext,
): ManagedFieldsEntry[] {
  const scope = scopeOf(ctx);
  const oldSet = oldObject ? fieldSetOf(oldObject, ctx.schema, scope) : new FieldSet();
  const newSet = fieldSetOf(newObject, ctx.schema, scope);
  const changed = new FieldSet();
  for (const path of newSet.paths()) {
    if (!oldSet.has(path)) changed.add(path);
    else if (
      newSet.find(path)!.children.size === 0 &&
      !deepEqual(valueAt(oldObject, path).value, valueAt(newObject, path).value)
    )
      changed.add(path);
  }
  const working = entries.map((entry) => ({ entry, set: FieldSet.fromFieldsV1(entry.fieldsV1).difference(changed) }));
  const mine = working.find((w) => sameEntry(w.entry, ctx.manager, 'Update', ctx.subresource));
  if (mine) {
    mine.set = mine.set.union(changed);
    if (!changed.isEmpty()) mine.entry = { ...mine.entry, time: ctx.time, apiVersion: ctx.apiVersion };
  } else if (!changed.isEmpty()) {
    working.push({
      entry: {
        manager: ctx.manager,
        operation: 'Update',
        apiVersion: ctx.apiVersion,
        time: ctx.time,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
        ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
      },
      set: changed,
    });
  }
  return reconcileEntries(working, newObject, ctx.schema);
}

export interface ApplyResult {
  object: Obj;
  conflicts: FieldConflict[];
}

/**
 * Server-side apply of `applied` onto `live` (undefined: the object does not exist yet). With
 * conflicts and no `force`, `conflicts` is non-empty and `object` must not be written.
 */
export function serverSideApply(
  live: Obj | undefined,
  applied: Obj,
  force: boolean,
  ctx: OwnershipContext,
): ApplyResult {
  const scope = scopeOf(ctx);
  const appliedSet = fieldSetOf(applied, ctx.schema, scope);
  const liveMeta = (live?.metadata ?? {}) as Obj;
  const entries = ((liveMeta.managedFields ?? []) as ManagedFieldsEntry[]).map((entry) => ({
    entry,
    set: FieldSet.fromFieldsV1(entry.fieldsV1),
  }));
  const conflicts: FieldConflict[] = [];
  for (const other of entries) {
    if (sameEntry(other.entry, ctx.manager, 'Apply', ctx.subresource)) continue;
    for (const path of appliedSet.leaves()) {
      if (!other.set.has(path)) continue;
      const current = valueAt(live, path);
      if (current.found && !deepEqual(current.value, valueAt(applied, path).value))
        conflicts.push({ manager: other.entry.manager, path });
    }
  }
  if (conflicts.length && !force) return { object: live ?? {}, conflicts };
  for (const c of conflicts)
    entries.find((e) => e.entry.manager === c.manager && e.set.has(c.path))?.set.remove(c.path);

  const merged = mergeApplied(live ?? {}, stripForApply(applied), ctx.schema) as Obj;
  const mine = entries.find((e) => sameEntry(e.entry, ctx.manager, 'Apply', ctx.subresource));
  if (mine) {
    const dropped = mine.set.difference(appliedSet).paths();
    const removable = dropped.filter(
      (path) => !entries.some((e) => e !== mine && e.set.touches(path)) && !appliedSet.touches(path),
    );
    const key = (p: FieldPath) => JSON.stringify(p);
    const removableKeys = new Set(removable.map(key));
    // remove the top-most paths only: a removed list element takes its fields (and its key) with it
    for (const path of removable) {
      if (!path.some((_, i) => i > 0 && removableKeys.has(key(path.slice(0, i))))) removeAt(merged, path);
    }
    mine.set = appliedSet;
    mine.entry = { ...mine.entry, time: ctx.time, apiVersion: ctx.apiVersion };
  } else {
    entries.push({
      entry: {
        manager: ctx.manager,
        operation: 'Apply',
        apiVersion: ctx.apiVersion,
        time: ctx.time,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
        ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
      },
      set: appliedSet,
    });
  }
  const metadata = (merged.metadata ?? {}) as Obj;
  merged.metadata = metadata;
  metadata.managedFields = reconcileEntries(entries, merged, ctx.schema);
  return { object: merged, conflicts: [] };
}

/** The server keeps its own metadata; an applied configuration cannot set it. */
function stripForApply(applied: Obj): Obj {
  const out = { ...applied };
  if (isObject(out.metadata)) {
    const meta = { ...out.metadata };
    for (const k of [
      'managedFields',
      'resourceVersion',
      'uid',
      'creationTimestamp',
      'generation',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
    ])
      delete meta[k];
    out.metadata = meta;
  }
  return out;
}

function mergeApplied(live: unknown, applied: unknown, schema: Schema | undefined): unknown {
  if (isObject(applied)) {
    if (schema?.['x-kubernetes-map-type'] === 'atomic') return structuredClone(applied);
    const out: Obj = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else setOwn(out, k, mergeApplied(ownValue(out, k), v, childSchema(schema, k)));
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const sem = listSemantics(schema);
    if (sem.type === 'map') {
      const out = [...live];
      for (const item of applied) {
        const at = isObject(item)
          ? out.findIndex((l) => isObject(l) && sem.keys.every((k) => deepEqual(ownValue(l, k), ownValue(item, k))))
          : -1;
        if (at >= 0) out[at] = mergeApplied(out[at], item, schema?.items);
        else out.push(structuredClone(item));
      }
      return out;
    }
    if (sem.type === 'set') return [...live, ...applied.filter((a) => !live.some((l) => deepEqual(l, a)))];
  }
  return structuredClone(applied);
}

export function describeConflicts(conflicts: FieldConflict[]): {
  message: string;
  causes: Array<{ reason: string; message: string; field: string }>;
} {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), formatFieldPath(c.path)]);
  const parts = [...byManager].map(
    ([m, fields]) => `conflict${fields.length > 1 ? 's' : ''} with "${m}":\n- ${fields.join('\n- ')}`,
  );
  return {
    message: `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${parts.join('\n')}`,
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}"`,
      field: formatFieldPath(c.path),
    })),
  };
}
