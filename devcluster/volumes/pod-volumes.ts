// A pod's volumes on devcluster's node, as the kubelet's volume manager sets them up:
// - configMap, secret, downwardAPI and projected volumes are projected into the pod directory with
//   the atomic writer, and projected again whenever what they show changes;
// - emptyDir is a directory of the pod's own, gone with the pod;
// - hostPath is a path on the node's sandboxed filesystem (HostFilesystem);
// - persistentVolumeClaim is the bound PersistentVolume's hostPath or local directory, so its data
//   outlives every pod that mounts it.
// planPodVolumes is pure (objects in, a plan out); setUpPodVolumes does the I/O.
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DownwardApiError, fieldValue, resourceValue, type NodeAllocatable } from '../logic/downward-api.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { writeAtomically, type Payload } from './atomic-writer.ts';
import { MountError, type HostFilesystem } from './host-filesystem.ts';

export { MountError };

export interface ConfigMapData {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** What a pod's volumes are made of, looked up in the pod's namespace. */
export interface VolumeSources {
  configMap(name: string): ConfigMapData | undefined;
  /** Secret data, base64-decoded. */
  secret(name: string): Record<string, Buffer> | undefined;
  /** The claim and, when it is bound, its PersistentVolume. */
  claim(name: string): { claim: KubeObject; volume?: KubeObject } | undefined;
  node: NodeAllocatable;
}

export type PlannedVolume =
  | { name: string; kind: 'projected'; dir: string; payload: Payload }
  | { name: string; kind: 'emptyDir'; dir: string }
  | { name: string; kind: 'hostPath'; path: string; type: string; claim?: string };

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}
interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string | number };
  mode?: number;
}
interface ProjectionSource {
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
}
interface VolumeSpec {
  name: string;
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[]; defaultMode?: number };
  projected?: { sources?: ProjectionSource[]; defaultMode?: number };
  emptyDir?: object;
  hostPath?: { path: string; type?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [source: string]: unknown;
}

const DEFAULT_MODE = 0o644;
export const MOUNTABLE = [
  'configMap',
  'secret',
  'downwardAPI',
  'projected',
  'emptyDir',
  'hostPath',
  'persistentVolumeClaim',
];

export function podVolumes(pod: KubeObject): VolumeSpec[] {
  return ((pod.spec as { volumes?: VolumeSpec[] } | undefined)?.volumes ?? []) as VolumeSpec[];
}

/** The claims a pod mounts. */
export function claimNames(pod: KubeObject): string[] {
  return podVolumes(pod)
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((n): n is string => typeof n === 'string');
}

/** Where each of a pod's volumes lives and what projected ones contain. Throws MountError. */
export function planPodVolumes(pod: KubeObject, podDir: string, sources: VolumeSources): PlannedVolume[] {
  return podVolumes(pod).map((v) => planVolume(pod, v, podDir, sources));
}

function planVolume(pod: KubeObject, v: VolumeSpec, podDir: string, sources: VolumeSources): PlannedVolume {
  const dir = join(podDir, 'volumes', v.name);
  if (v.emptyDir) return { name: v.name, kind: 'emptyDir', dir };
  if (v.hostPath) return { name: v.name, kind: 'hostPath', path: v.hostPath.path, type: v.hostPath.type ?? '' };
  if (v.persistentVolumeClaim) return claimVolume(v.name, v.persistentVolumeClaim.claimName, sources);
  const payload: Payload = new Map();
  if (v.configMap) addConfigMap(payload, v.name, v.configMap, v.configMap.defaultMode, sources);
  else if (v.secret)
    addSecret(payload, v.name, { ...v.secret, name: v.secret.secretName }, v.secret.defaultMode, sources);
  else if (v.downwardAPI)
    addDownward(payload, v.name, pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode, sources);
  else if (v.projected) {
    for (const s of v.projected.sources ?? []) {
      const mode = v.projected.defaultMode;
      if (s.configMap) addConfigMap(payload, v.name, s.configMap, mode, sources);
      if (s.secret) addSecret(payload, v.name, s.secret, mode, sources);
      if (s.downwardAPI) addDownward(payload, v.name, pod, s.downwardAPI.items ?? [], mode, sources);
      if (s.serviceAccountToken)
        throw new MountError(
          v.name,
          'devcluster does not project serviceAccountToken sources into pods; request a token with `kubectl ' +
            'create token` and mount it from a Secret',
        );
    }
  } else {
    const source = Object.keys(v).find((k) => k !== 'name') ?? 'none';
    throw new MountError(
      v.name,
      `devcluster cannot mount ${source} volumes (they need a real node); it mounts ${MOUNTABLE.join(', ')}`,
    );
  }
  return { name: v.name, kind: 'projected', dir, payload };
}

function claimVolume(volume: string, claimName: string, sources: VolumeSources): PlannedVolume {
  const found = sources.claim(claimName);
  if (!found) throw new MountError(volume, `persistentvolumeclaim "${claimName}" not found`);
  const pv = found.volume;
  if (!pv || (found.claim.status as { phase?: string } | undefined)?.phase !== 'Bound')
    throw new MountError(volume, `persistentvolumeclaim "${claimName}" is not bound`);
  const spec = (pv.spec ?? {}) as { hostPath?: { path: string }; local?: { path: string } };
  const path = spec.hostPath?.path ?? spec.local?.path;
  if (!path)
    throw new MountError(
      volume,
      `persistentvolume "${pv.metadata.name}" is neither hostPath nor local; devcluster's node cannot mount it`,
    );
  return { name: volume, kind: 'hostPath', path, type: 'DirectoryOrCreate', claim: claimName };
}

function project(
  payload: Payload,
  volume: string,
  what: string,
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  mode: number | undefined,
): void {
  if (!items) {
    for (const [key, content] of Object.entries(data)) payload.set(key, { content, mode: mode ?? DEFAULT_MODE });
    return;
  }
  for (const item of items) {
    const content = Object.hasOwn(data, item.key) ? data[item.key] : undefined;
    if (content === undefined) throw new MountError(volume, `${what} references non-existent config key: ${item.key}`);
    payload.set(item.path, { content, mode: item.mode ?? mode ?? DEFAULT_MODE });
  }
}

function addConfigMap(
  payload: Payload,
  volume: string,
  source: { name: string; items?: KeyToPath[]; optional?: boolean },
  mode: number | undefined,
  sources: VolumeSources,
): void {
  const cm = sources.configMap(source.name);
  if (!cm) {
    if (source.optional) return;
    throw new MountError(volume, `configmap "${source.name}" not found`);
  }
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
  project(payload, volume, 'configmap', data, source.items, mode);
}

function addSecret(
  payload: Payload,
  volume: string,
  source: { name: string; items?: KeyToPath[]; optional?: boolean },
  mode: number | undefined,
  sources: VolumeSources,
): void {
  const secret = sources.secret(source.name);
  if (!secret) {
    if (source.optional) return;
    throw new MountError(volume, `secret "${source.name}" not found`);
  }
  project(payload, volume, 'secret', secret, source.items, mode);
}

function addDownward(
  payload: Payload,
  volume: string,
  pod: KubeObject,
  items: DownwardItem[],
  mode: number | undefined,
  sources: VolumeSources,
): void {
  for (const item of items) {
    let value: string;
    try {
      if (item.fieldRef) value = fieldValue(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef)
        value = resourceValue(
          pod,
          item.resourceFieldRef.containerName ?? '',
          item.resourceFieldRef.resource,
          item.resourceFieldRef.divisor,
          sources.node,
        );
      else continue;
    } catch (e) {
      if (e instanceof DownwardApiError) throw new MountError(volume, e.message);
      throw e;
    }
    payload.set(item.path, { content: Buffer.from(value), mode: item.mode ?? mode ?? DEFAULT_MODE });
  }
}

/**
 * Creates what the plan describes and returns each volume's real directory (or file, for a hostPath
 * of a file type). Projected volumes are (re)written only when their content changed.
 */
export function setUpPodVolumes(planned: PlannedVolume[], host: HostFilesystem): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const v of planned) {
    if (v.kind === 'projected') {
      writeAtomically(v.dir, v.payload);
      dirs.set(v.name, v.dir);
    } else if (v.kind === 'emptyDir') {
      dirs.set(v.name, ensureDir(v.dir));
    } else {
      dirs.set(v.name, host.setUp(v.name, v.path, v.type));
    }
  }
  return dirs;
}

function ensureDir(dir: string): string {
  // emptyDir: world-writable like the kubelet's, so any container user can write to it
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  return dir;
}
