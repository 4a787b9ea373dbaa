// Names the GitOps controller shares with the cluster: the WorkflowSource resource, the field
// manager of what it applies, and the labels and annotations on synced objects. Changing any of
// these orphans the objects of a running install.
import { group } from './constants.ts';

export const kind = 'WorkflowSource';
export const plural = 'workflowsources';
export const singular = 'workflowsource';
export const shortNames = ['wfs'];
export const crdName = `${plural}.${group}`;

/** Server-side apply field manager of every object synced from git (and of the sources' status). */
export const fieldManager = 'workflow-gitops';

export const annotations = {
  /** On every synced object: `NS/NAME` of the source that applied it. Prune deletes only these. */
  source: `${group}/source`,
  /** On objects in git: apply order after ConfigMaps and Secrets (an integer, default 0). */
  syncWave: `${group}/sync-wave`,
  /** On a source: `wfctl sync` sets it to a timestamp; a new value forces a sync. */
  syncRequestedAt: `${group}/sync-requested-at`,
  /** On a source: set by a push webhook that reached an operator replica which is not the leader. */
  refreshRequestedAt: `${group}/refresh-requested-at`,
} as const;

export const labels = {
  /** Name and namespace of the source, for `kubectl get -l` and label-selected caches (Flux does the same). */
  sourceName: `${group}/source-name`,
  sourceNamespace: `${group}/source-namespace`,
} as const;

/** Entries kept in status.history. */
export const historyLimit = 10;
/** Consecutive fetch failures after which the source is Stalled. */
export const stalledAfterFailures = 3;
