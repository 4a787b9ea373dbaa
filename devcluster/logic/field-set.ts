// Field sets as server-side apply tracks them (sigs.k8s.io/structured-merge-diff): a tree of path
// elements (`f:name`, `k:{"name":"app"}`, `v:"x"`, `i:0`) serialised as managedFields' FieldsV1.
import { hasOwnKey, ownValue, setOwn } from '../../security/index.ts';
import { childSchema, deepEqual, isObject, listSemantics, type Schema } from './schema.ts';

export type PathElement = string;
export type FieldPath = PathElement[];

export class FieldSet {
  readonly children = new Map<PathElement, FieldSet>();
  /** The node itself is owned (the "." entry when it also has children). */
  member = false;

  child(element: PathElement): FieldSet {
    let c = this.children.get(element);
    if (!c) this.children.set(element, (c = new FieldSet()));
    return c;
  }

  isEmpty(): boolean {
    return !this.member && this.children.size === 0;
  }

  /** Every owned path, parents before children. */
  paths(prefix: FieldPath = []): FieldPath[] {
    const out: FieldPath[] = [];
    for (const [element, c] of this.children) {
      const path = [...prefix, element];
      if (c.member) out.push(path);
      out.push(...c.paths(path));
    }
    return out;
  }

  /** Owned leaves only (members without owned children): where values are compared for conflicts. */
  leaves(prefix: FieldPath = []): FieldPath[] {
    const out: FieldPath[] = [];
    for (const [element, c] of this.children) {
      const path = [...prefix, element];
      if (c.member && c.children.size === 0) out.push(path);
      out.push(...c.leaves(path));
    }
    return out;
  }

  has(path: FieldPath): boolean {
    const node = this.find(path);
    return node?.member === true;
  }

  /** True when the path or anything under it is owned. */
  touches(path: FieldPath): boolean {
    const node = this.find(path);
    return node !== undefined && !node.isEmpty();
  }

  find(path: FieldPath): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const element of path) {
      node = node.children.get(element);
      if (!node) return undefined;
    }
    return node;
  }

  add(path: FieldPath): void {
    let node: FieldSet = this;
    for (const element of path) node = node.child(element);
    node.member = true;
  }

  remove(path: FieldPath): void {
    const walk = (node: FieldSet, i: number): void => {
      const c = node.children.get(path[i]!);
      if (!c) return;
      if (i === path.length - 1) c.member = false;
      else walk(c, i + 1);
      if (c.isEmpty()) node.children.delete(path[i]!);
    };
    if (path.length) walk(this, 0);
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    for (const p of other.paths()) out.add(p);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const p of this.paths()) if (!other.has(p)) out.add(p);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const p of this.paths()) if (other.has(p)) out.add(p);
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [k, c] of this.children) out.children.set(k, c.clone());
    return out;
  }

  equals(other: FieldSet): boolean {
    return deepEqual(this.toFieldsV1(), other.toFieldsV1());
  }

  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [element, c] of [...this.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const body = c.toFieldsV1();
      setOwn(out, element, c.member && c.children.size > 0 ? { '.': {}, ...body } : body);
    }
    return out;
  }

  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: FieldSet, value: unknown) => {
      if (!isObject(value)) return;
      for (const [key, child] of Object.entries(value)) {
        if (key === '.') continue;
        const c = node.child(key);
        const keys = isObject(child) ? Object.keys(child) : [];
        c.member = keys.length === 0 || keys.includes('.');
        walk(c, child);
      }
    };
    walk(set, json);
    return set;
  }
}

/** Metadata the server owns: never part of anyone's field set. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'generateName',
]);

/** The fields an object sets, by the schema's list and map semantics. `scope` limits it to spec-side or status. */
export function fieldSetOf(
  object: Record<string, unknown>,
  schema: Schema,
  scope: 'all' | 'main' | 'status' = 'all',
): FieldSet {
  const set = new FieldSet();
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || value === null || value === undefined) continue;
    if (scope === 'main' && key === 'status') continue;
    if (scope === 'status' && key !== 'status') continue;
    if (key === 'metadata' && isObject(value)) {
      const meta = set.child('f:metadata');
      for (const [mk, mv] of Object.entries(value)) {
        if (SERVER_METADATA.has(mk) || mv === null || mv === undefined) continue;
        collect(mv, childSchema(childSchema(schema, 'metadata'), mk), meta.child(`f:${mk}`));
      }
      if (meta.isEmpty()) set.children.delete('f:metadata');
      continue;
    }
    collect(value, childSchema(schema, key), set.child(`f:${key}`));
  }
  return set;
}

function collect(value: unknown, schema: Schema | undefined, node: FieldSet): void {
  if (isObject(value) && schema?.['x-kubernetes-map-type'] !== 'atomic' && Object.keys(value).length > 0) {
    node.member = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      collect(v, childSchema(schema, k), node.child(`f:${k}`));
    }
    return;
  }
  if (Array.isArray(value) && value.length > 0) {
    const sem = listSemantics(schema);
    if (sem.type === 'map') {
      node.member = true;
      for (const item of value) {
        if (!isObject(item)) continue;
        collect(item, schema?.items, node.child(mapKeyElement(item, sem.keys)));
      }
      return;
    }
    if (sem.type === 'set') {
      node.member = true;
      for (const item of value) node.child(`v:${JSON.stringify(item)}`).member = true;
      return;
    }
  }
  node.member = true;
}

function mapKeyElement(item: Record<string, unknown>, keys: string[]): PathElement {
  const id: Record<string, unknown> = {};
  for (const k of keys) if (ownValue(item, k) !== undefined) setOwn(id, k, item[k]);
  return `k:${JSON.stringify(id)}`;
}

/** Resolves a field path in an object; `found` is false when any step is missing. */
export function valueAt(object: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let v: unknown = object;
  for (const element of path) {
    const step = stepInto(v, element);
    if (!step.found) return { found: false };
    v = step.value;
  }
  return { found: true, value: v };
}

function stepInto(v: unknown, element: PathElement): { found: boolean; value?: unknown; index?: number } {
  const kind = element.slice(0, 2);
  const rest = element.slice(2);
  if (kind === 'f:') return hasOwnKey(v, rest) ? { found: true, value: v[rest] } : { found: false };
  if (!Array.isArray(v)) return { found: false };
  if (kind === 'k:') {
    const id = JSON.parse(rest) as Record<string, unknown>;
    const index = v.findIndex(
      (item) => isObject(item) && Object.entries(id).every(([k, x]) => deepEqual(ownValue(item, k), x)),
    );
    return index >= 0 ? { found: true, value: v[index], index } : { found: false };
  }
  if (kind === 'v:') {
    const target = JSON.parse(rest);
    const index = v.findIndex((item) => deepEqual(item, target));
    return index >= 0 ? { found: true, value: v[index], index } : { found: false };
  }
  if (kind === 'i:') {
    const index = Number(rest);
    return index < v.length ? { found: true, value: v[index], index } : { found: false };
  }
  return { found: false };
}

/** Deletes the value at `path` from `object` (in place); empty parents are left as they are. */
export function removeAt(object: unknown, path: FieldPath): void {
  if (path.length === 0) return;
  const parent = valueAt(object, path.slice(0, -1));
  if (!parent.found) return;
  const last = path[path.length - 1]!;
  if (last.startsWith('f:') && isObject(parent.value)) {
    delete parent.value[last.slice(2)];
    return;
  }
  const step = stepInto(parent.value, last);
  if (step.found && step.index !== undefined) (parent.value as unknown[]).splice(step.index, 1);
}

/** Human form for conflict messages: `.spec.replicas`, `.spec.containers[name="app"].image`. */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((e) => {
      const rest = e.slice(2);
      if (e.startsWith('f:')) return `.${rest}`;
      if (e.startsWith('k:'))
        return `[${Object.entries(JSON.parse(rest) as Record<string, unknown>)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      if (e.startsWith('v:')) return `[=${rest}]`;
      return `[${rest}]`;
    })
    .join('');
}
