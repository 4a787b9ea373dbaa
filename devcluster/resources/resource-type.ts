// What devcluster knows about one served resource (one group/version/plural): names for discovery,
// the schema, printer columns, field selectors and the per-kind rules kube-apiserver's registry
// strategies implement. Built-ins and CRD versions are both described by this one shape.
import type { FieldError } from '../api/errors.ts';
import type { NameRule } from '../logic/names.ts';
import type { Schema } from '../logic/schema.ts';
import type { KubeObject } from './object-meta.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  priority: number;
  /** Built-ins compute cells in code; CRD columns carry a JSONPath. */
  cell: (obj: KubeObject, now: number) => unknown;
}

/** Services a strategy may ask of the server while preparing an object. */
export interface StrategyContext {
  now: number;
  allocateClusterIP(): string;
  /** The node ports Services hold (leaving out the Service with uid `except`). */
  nodePortsInUse(except?: string): Set<number>;
}

export interface Strategy {
  /** Server-set fields and defaults computed from other fields (schema defaults run before this). */
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  /** Keep immutable fields; runs on PUT/PATCH of the main resource. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  /**
   * Seconds of graceful deletion (Pods bound to a node: their kubelet finishes the deletion), or
   * undefined/0 for immediate deletion.
   */
  gracePeriodSeconds?(obj: KubeObject, requested: number | undefined): number | undefined;
  /** Kind-specific validation beyond the schema: field errors become a 422. */
  validate?(obj: KubeObject, old: KubeObject | undefined): FieldError[];
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Objects of every version of one resource live under one storage key: `<group>/<plural>`. */
  storageKey: string;
  builtin: boolean;
  /** The whole object, apiVersion/kind/metadata included. */
  schema: Schema;
  nameRule: NameRule;
  /** metadata.generation is maintained (CRs, Deployments, ...); ConfigMaps and the like have none. */
  tracksGeneration: boolean;
  statusSubresource: boolean;
  scale?: ScaleSubresource;
  columns: PrinterColumn[];
  /** Supported fieldSelector keys beyond metadata.name/metadata.namespace. */
  fieldSelectors: Record<string, (obj: KubeObject) => string>;
  strategy: Strategy;
  /** DELETE answers with the object (CRs, Pods) rather than a Success Status. */
  deleteReturnsObject: boolean;
  /** Several served versions share one storage form; conversion is per type. */
  toStorage?(obj: KubeObject): KubeObject;
  fromStorage?(obj: KubeObject): KubeObject;
  /**
   * Create-only "review" kinds (SelfSubjectAccessReview, SelfSubjectReview): POST answers with this
   * and nothing is stored.
   */
  ephemeral?(
    obj: KubeObject,
    user: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> },
    namespace: string | undefined,
  ): KubeObject;
  /** Set for CRD-defined types: the CRD's name (for discovery hashing and removal). */
  crdName?: string;
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

export function storageKeyOf(group: string, plural: string): string {
  return `${group}/${plural}`;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The columns every kind starts with. */
export const NAME_COLUMN: PrinterColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  priority: 0,
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may ' +
    'allow a client to request the generation of an appropriate name automatically. Name is primarily ' +
    'intended for creation idempotence and configuration definition. Cannot be updated. More info: ' +
    'https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  cell: (o) => o.metadata.name,
};

export const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'string',
  priority: 0,
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not ' +
    'guaranteed to be set in happens-before order across separate operations. Clients may not set this ' +
    'value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null ' +
    'for lists. More info: ' +
    'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  cell: (o, now) => age(o.metadata.creationTimestamp, now),
};

export function age(timestamp: string | undefined, now: number): string {
  if (!timestamp) return '<unknown>';
  return humanDuration(now - Date.parse(timestamp));
}

/** k8s.io/apimachinery duration.HumanDuration: "45s", "5m3s", "2d3h", "3y12d". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}
