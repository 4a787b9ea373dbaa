// syncStatus(desired, live): does the live object hold what git says? Pure, after gitops-engine.
// Compared over the fields git sets (the fields the workflow-gitops manager owns after an apply):
// each must have git's value live. Fields other managers add (defaults, the operator's status,
// an HPA's replicas when git sets none) are not drift; a field git sets and someone changed is.
import { firstDifference } from '../controller/up-to-date.ts';

export interface SyncVerdict {
  status: 'Synced' | 'OutOfSync';
  /** For OutOfSync: the first field that differs, e.g. "spec.replicas: live 3, git 1". */
  message: string;
}

export function syncStatus(desired: unknown, live: unknown): SyncVerdict {
  if (live === undefined || live === null) return { status: 'OutOfSync', message: 'missing: not applied yet' };
  const diff = firstDifference(live, desired, '');
  if (!diff) return { status: 'Synced', message: '' };
  return { status: 'OutOfSync', message: diff };
}
