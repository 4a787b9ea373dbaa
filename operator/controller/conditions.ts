// KEP-1623 conditions: lastTransitionTime moves only when the status flips, so an unchanged app
// produces an identical status (and no write).
import type { Condition, ConditionStatus } from '../api/types.ts';

export const conditionOrder = [
  'Ready',
  'Progressing',
  'Degraded',
  'ConfigValid',
  'PluginsResolved',
  'LicenseValid',
] as const;
export type ConditionType = (typeof conditionOrder)[number];

export interface ConditionUpdate {
  /** One of conditionOrder for apps; other resources (tenants, sources) have their own. */
  type: ConditionType | (string & {});
  status: ConditionStatus;
  reason: string;
  message: string;
}

export function getCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

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
  const rank = (t: string) => {
    const i = (conditionOrder as readonly string[]).indexOf(t);
    return i < 0 ? conditionOrder.length : i;
  };
  return [...byType.values()].sort((a, b) => rank(a.type) - rank(b.type) || (a.type < b.type ? -1 : 1));
}
