// The WorkflowSource status, computed pure from what one reconcile saw and did. Conditions follow
// KEP-1623 (observedGeneration on each, lastTransitionTime only moves when the status flips), so
// `kubectl wait --for=condition=Ready wfs/NAME` means: git read, everything applied, live matches
// git, and every object is Healthy.
import type { Condition } from '../api/types.ts';
import type { SyncHistoryEntry, WorkflowSourceStatus } from '../api/source-types.ts';
import * as api from '../api/source-constants.ts';
import { canonicalJson } from '../render/hash.ts';

export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "1m", "30s", "1h30m", "500ms" -> milliseconds; undefined when it does not parse. */
export function parseInterval(text: string | undefined): number | undefined {
  if (text === undefined) return 60_000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  return consumed === text.length && total > 0 ? total : undefined;
}

export function formatDuration(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

export interface ConditionUpdate {
  type: 'Ready' | 'Fetched' | 'Applied' | 'Stalled';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

const order = ['Ready', 'Fetched', 'Applied', 'Stalled'];

export function mergeConditions(
  previous: Condition[] | undefined,
  updates: ConditionUpdate[],
  generation: number,
  now: string,
): Condition[] {
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  for (const u of updates) {
    const old = byType.get(u.type);
    byType.set(u.type, {
      type: u.type,
      status: u.status,
      observedGeneration: generation,
      lastTransitionTime: old && old.status === u.status ? old.lastTransitionTime : now,
      reason: u.reason,
      message: u.message.slice(0, 32768),
    });
  }
  return [...byType.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

export function pushHistory(history: SyncHistoryEntry[] | undefined, entry: SyncHistoryEntry): SyncHistoryEntry[] {
  return [entry, ...(history ?? [])].slice(0, api.historyLimit);
}

/**
 * The JSON merge patch that turns `prev` into `next` (RFC 7386: keys that disappear become null,
 * nested maps are patched key by key, lists are replaced), or undefined when they are equal.
 */
export function mergePatchFrom(prev: unknown, next: unknown): unknown {
  if (canonicalJson(prev) === canonicalJson(next)) return undefined;
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(prev) || !isMap(next)) return next;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(prev)) if (!(key in next) || next[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const sub = mergePatchFrom(prev[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  return patch;
}

/** Whether a status write would change anything. */
export function statusChanged(prev: WorkflowSourceStatus | undefined, next: WorkflowSourceStatus): boolean {
  return canonicalJson(prev ?? {}) !== canonicalJson(next);
}
