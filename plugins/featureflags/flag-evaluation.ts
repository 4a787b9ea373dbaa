// Feature flag definitions and their evaluation, as pure functions. A flag is on for its target
// users and groups, for a stable percentage of users (hash of flag + user), or for everyone.
import { createHash } from 'node:crypto';
import { isPlainObject } from '../support/index.ts';

export interface FlagDefinition {
  enabled: boolean;
  /** Value when the flag is on for a caller (default true). */
  value: unknown;
  /** Value when it is off (default false). */
  offValue: unknown;
  users: string[];
  groups: string[];
  /** 0..100; undefined = no percentage rollout. */
  percentage?: number;
  description?: string;
}

export interface EvaluationContext {
  userKey?: string;
  groups?: string[];
}

export interface FlagResult {
  enabled: boolean;
  value: unknown;
  variant: string;
  reason: 'disabled' | 'target' | 'group' | 'rollout' | 'default' | 'not_targeted' | 'not_found';
}

/** A flag from config: `true`, `"blue"`, or `{enabled, value, default, users, groups, percentage}`. */
export function parseFlag(raw: unknown, where: string): FlagDefinition {
  if (!isPlainObject(raw)) {
    return {
      enabled: raw !== false && raw !== null && raw !== undefined,
      value: raw,
      offValue: false,
      users: [],
      groups: [],
    };
  }
  const percentage = raw.percentage ?? raw.rollout ?? raw.rollout_percentage;
  if (percentage !== undefined && (typeof percentage !== 'number' || percentage < 0 || percentage > 100)) {
    throw new Error(`${where}: percentage must be a number from 0 to 100`);
  }
  const list = (v: unknown, key: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new Error(`${where}: ${key} must be a list`);
    return v.map(String);
  };
  return {
    enabled: raw.enabled !== false,
    value: raw.value ?? true,
    offValue: raw.default ?? raw.off_value ?? false,
    users: list(raw.users, 'users'),
    groups: list(raw.groups, 'groups'),
    percentage: percentage as number | undefined,
    description: typeof raw.description === 'string' ? raw.description : undefined,
  };
}

export function evaluateFlag(
  name: string,
  def: FlagDefinition | undefined,
  ctx: EvaluationContext,
  fallback?: unknown,
): FlagResult {
  if (!def) return result(fallback ?? false, 'not_found');
  if (!def.enabled) return result(def.offValue, 'disabled');
  if (ctx.userKey && def.users.includes(ctx.userKey)) return result(def.value, 'target');
  if (ctx.groups?.some((g) => def.groups.includes(g))) return result(def.value, 'group');
  if (def.percentage !== undefined) {
    const inRollout = ctx.userKey !== undefined && ctx.userKey !== '' && bucket(name, ctx.userKey) < def.percentage;
    return result(inRollout ? def.value : def.offValue, 'rollout');
  }
  if (def.users.length > 0 || def.groups.length > 0) return result(def.offValue, 'not_targeted');
  return result(def.value, 'default');
}

/** 0..99, stable per (flag, user) so a user keeps their side of a rollout. */
export function bucket(flag: string, userKey: string): number {
  return createHash('sha1').update(`${flag}:${userKey}`).digest().readUInt32BE(0) % 100;
}

function result(value: unknown, reason: FlagResult['reason']): FlagResult {
  return { enabled: isOn(value), value, variant: typeof value === 'string' ? value : String(value), reason };
}

/** Upstream's reading of a flag value: booleans as is, strings unless "", "false" or "0", else non-nil. */
export function isOn(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value !== '' && value !== 'false' && value !== '0';
  return value !== null && value !== undefined;
}
