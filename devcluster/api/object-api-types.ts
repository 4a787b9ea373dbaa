// The vocabulary of ObjectApi's callers: who writes (WriteContext) and the options of each verb.
// Kept apart from the ObjectApi class so the files that implement its verbs share it without a cycle.
import type { UserInfo } from '../admission/admission.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { Change } from '../storage/watch-cache.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Who is writing and how; `warnings` collects what the response should carry as Warning headers. */
export interface WriteContext {
  user: UserInfo;
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  warnings: string[];
}

/**
 * The identity of an in-process controller. Controllers are part of the control plane: they call
 * ObjectApi directly, never pass through authorization, and (as system:masters) may write the RBAC
 * objects they maintain, such as aggregated ClusterRoles.
 */
export function systemContext(component: string): WriteContext {
  return {
    user: {
      username: `system:serviceaccount:kube-system:${component}`,
      groups: [
        'system:serviceaccounts',
        'system:serviceaccounts:kube-system',
        'system:masters',
        'system:authenticated',
      ],
    },
    fieldManager: component,
    warnings: [],
  };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  /** Shared with the store and deep-frozen: read them, never modify them. */
  items: KubeObject[];
  /** Each item serialised as a list item (built-ins without kind/apiVersion), reusing stored JSON. */
  itemsJson(): string[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** WatchList: initial ADDED events then a BOOKMARK marked k8s.io/initial-events-end. */
  sendInitialEvents?: boolean;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: KubeObject;
  /** The committed change behind the event (absent for synthetic initial events and bookmarks). */
  change?: Change;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  /** ["All"] asks for a dry run, like the dryRun query parameter. */
  dryRun?: string[];
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions {
  subresource?: string;
  force?: boolean;
}
