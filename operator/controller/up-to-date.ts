// Decides whether a desired object needs a server-side apply. An apply that changes nothing is
// still a write (and a watch event for everyone), so at steady state the operator must skip them.
//
// Skipped when the live object carries the same desired-hash annotation AND still has every field
// we set with the value we set (the API server only adds defaults; someone editing our fields is
// drift, and gets re-applied). Where the server normalises a value we sent (a quantity "1000m"
// coming back as "1"), the subset check would fail forever; so after an apply the resulting
// resourceVersion is remembered, and an object still at that version counts as up to date.
import type { KubernetesObject } from '@kubernetes/client-node';
import * as api from '../api/constants.ts';

export function containsSubset(live: unknown, desired: unknown): boolean {
  return firstDifference(live, desired, '') === undefined;
}

function show(v: unknown): string {
  if (v === undefined) return 'unset';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The first path where `live` does not contain `desired`, with both values; undefined when it does. */
export function firstDifference(live: unknown, desired: unknown, path: string): string | undefined {
  const here = path || '(object)';
  if (desired === null || desired === undefined) return undefined;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length)
      return `${here}: live ${Array.isArray(live) ? `${live.length} items` : show(live)}, git ${desired.length} items`;
    for (let i = 0; i < desired.length; i++) {
      const d = firstDifference(live[i], desired[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live))
      return `${here}: live ${show(live)}, git a map`;
    for (const [k, v] of Object.entries(desired as Record<string, unknown>)) {
      const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `[${JSON.stringify(k)}]`;
      const d = firstDifference(
        (live as Record<string, unknown>)[k],
        v,
        path ? (key.startsWith('[') ? `${path}${key}` : `${path}.${key}`) : key,
      );
      if (d) return d;
    }
    return undefined;
  }
  return live === desired ? undefined : `${here}: live ${show(live)}, git ${show(desired)}`;
}

function desiredHash(obj: KubernetesObject | undefined): string | undefined {
  return obj?.metadata?.annotations?.[api.annotations.desiredHash];
}

export function objectId(obj: KubernetesObject): string {
  return `${obj.kind}/${obj.metadata?.namespace}/${obj.metadata?.name}`;
}

/**
 * What the operator has written and not yet seen come back through the watch ("expectations", as
 * kube-controller-manager calls them). Another event for the same app often arrives before the
 * cache has our write; without this, that reconcile would repeat the write.
 */
export class WriteMemory {
  private readonly applied = new Map<string, { hash: string; resourceVersion: string }>();
  private readonly expected = new Map<string, { value: string; at: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly expectationTtlMs = 30_000,
  ) {}

  /** After an apply: the object's resourceVersion then, and the expectation to see it. */
  rememberApply(result: KubernetesObject, hash: string): void {
    const rv = result.metadata?.resourceVersion;
    if (rv) this.applied.set(objectId(result), { hash, resourceVersion: rv });
    this.expect(`apply:${objectId(result)}`, hash);
  }

  appliedAt(live: KubernetesObject, hash: string): boolean {
    const seen = this.applied.get(objectId(live));
    return !!seen && seen.hash === hash && seen.resourceVersion === live.metadata?.resourceVersion;
  }

  /** Record a write whose effect the cache does not show yet. */
  expect(id: string, value: string): void {
    this.expected.set(id, { value, at: this.now() });
  }

  /** True while an identical write is on its way into the cache. */
  expecting(id: string, value: string): boolean {
    const e = this.expected.get(id);
    if (!e) return false;
    if (e.value === value && this.now() - e.at < this.expectationTtlMs) return true;
    this.expected.delete(id);
    return false;
  }

  /** The cache caught up (or the expectation no longer matters). */
  observed(id: string): void {
    this.expected.delete(id);
  }

  forget(obj: KubernetesObject): void {
    this.applied.delete(objectId(obj));
    this.expected.delete(`apply:${objectId(obj)}`);
  }

  /** Drops what is known about these objects and ids (an app was deleted). */
  forgetAll(objects: KubernetesObject[], ids: string[] = []): void {
    for (const o of objects) this.forget(o);
    for (const id of ids) this.expected.delete(id);
  }

  size(): number {
    return this.applied.size + this.expected.size;
  }
}

export function isUpToDate(
  desired: KubernetesObject,
  live: KubernetesObject | undefined,
  memory: WriteMemory,
): boolean {
  const hash = desiredHash(desired);
  if (!hash) return false;
  const id = `apply:${objectId(desired)}`;
  if (live && desiredHash(live) === hash && (containsSubset(live, desired) || memory.appliedAt(live, hash))) {
    memory.observed(id);
    return true;
  }
  return memory.expecting(id, hash);
}
