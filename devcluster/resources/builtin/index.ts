// Every built-in kind devcluster serves, in discovery order.
import type { ResourceType } from '../resource-type.ts';
import { appsTypes } from './apps.ts';
import { batchTypes } from './batch.ts';
import { clusterTypes } from './cluster.ts';
import { coreTypes } from './core.ts';
import { policyTypes } from './policy.ts';
import { rbacTypes } from './rbac.ts';
import { storageTypes } from './storage.ts';

export function builtinTypes(): ResourceType[] {
  return [...coreTypes, ...policyTypes, ...storageTypes, ...appsTypes, ...batchTypes, ...clusterTypes, ...rbacTypes];
}
