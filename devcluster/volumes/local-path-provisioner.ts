// The default StorageClass's provisioner, in the spirit of k3s's local-path-provisioner: a claim of
// the `local-path` class gets a directory of its own on the node's filesystem and a hostPath
// PersistentVolume pinned to the node, pre-bound to the claim. Pure: what to create and where.
import type { KubeObject } from '../resources/object-meta.ts';

export const LOCAL_PATH_PROVISIONER = 'devcluster.io/local-path';
export const LOCAL_PATH_CLASS = 'local-path';
/** Node path under which provisioned volumes live (inside the node's sandboxed filesystem). */
export const LOCAL_PATH_ROOT = '/var/lib/devcluster/storage';
export const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';

/** The StorageClass devcluster creates on start, marked as the default. */
export function defaultStorageClass(): Record<string, unknown> {
  return {
    metadata: {
      name: LOCAL_PATH_CLASS,
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      labels: { 'app.kubernetes.io/managed-by': 'devcluster' },
    },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
  };
}

/** The PersistentVolume that serves `claim` (named pvc-<claim uid>, as dynamic provisioning names it). */
export function provisionedVolume(claim: KubeObject, storageClass: KubeObject, nodeName: string): KubeObject {
  const spec = (claim.spec ?? {}) as {
    accessModes?: string[];
    resources?: { requests?: { storage?: string } };
    volumeMode?: string;
  };
  const name = `pvc-${claim.metadata.uid}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: { [PROVISIONED_BY]: LOCAL_PATH_PROVISIONER },
      labels: { 'app.kubernetes.io/managed-by': 'devcluster' },
    },
    spec: {
      accessModes: spec.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata.namespace,
        name: claim.metadata.name,
        uid: claim.metadata.uid,
        resourceVersion: claim.metadata.resourceVersion,
      },
      hostPath: {
        path: `${LOCAL_PATH_ROOT}/${name}_${claim.metadata.namespace}_${claim.metadata.name}`,
        type: 'DirectoryOrCreate',
      },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] },
          ],
        },
      },
      persistentVolumeReclaimPolicy: String(storageClass.reclaimPolicy ?? 'Delete'),
      storageClassName: storageClass.metadata.name,
      volumeMode: spec.volumeMode ?? 'Filesystem',
      ...(Array.isArray(storageClass.mountOptions) ? { mountOptions: storageClass.mountOptions } : {}),
    },
  };
}

/** The node path of a volume this provisioner made (what Delete removes), or undefined. */
export function provisionedPath(volume: KubeObject): string | undefined {
  if (volume.metadata.annotations?.[PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) return undefined;
  const path = (volume.spec as { hostPath?: { path?: string } } | undefined)?.hostPath?.path;
  return path?.startsWith(`${LOCAL_PATH_ROOT}/`) && !path.slice(LOCAL_PATH_ROOT.length).includes('..')
    ? path
    : undefined;
}
