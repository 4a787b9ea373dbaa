// Which PersistentVolume a claim binds to, as kube-controller-manager's binder decides it: a volume
// pre-bound to the claim wins; otherwise the smallest Available volume of the claim's class whose
// access modes, volume mode, size, labels and node affinity fit. Pure: objects in, a choice out.
import { parseQuantity } from '../logic/quantity.ts';
import { fromLabelSelectorObject, matchesLabels, type LabelSelectorObject } from '../logic/selectors.ts';
import type { KubeObject } from '../resources/object-meta.ts';

interface ClaimSpec {
  accessModes?: string[];
  selector?: LabelSelectorObject;
  resources?: { requests?: { storage?: string } };
  volumeName?: string;
  storageClassName?: string;
  volumeMode?: string;
}

interface VolumeSpec {
  accessModes?: string[];
  capacity?: { storage?: string };
  claimRef?: { namespace?: string; name?: string; uid?: string };
  storageClassName?: string;
  volumeMode?: string;
  nodeAffinity?: {
    required?: {
      nodeSelectorTerms?: Array<{ matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }>;
    };
  };
}

/** Is the volume reserved for exactly this claim (claimRef by name, and uid when set)? */
export function isPreBoundTo(volume: KubeObject, claim: KubeObject): boolean {
  const ref = (volume.spec as VolumeSpec | undefined)?.claimRef;
  if (!ref) return false;
  if (ref.namespace !== claim.metadata.namespace || ref.name !== claim.metadata.name) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** The reason `volume` cannot serve `claim`, or undefined when it can. */
export function volumeMismatch(claim: KubeObject, volume: KubeObject, nodeName: string): string | undefined {
  const c = (claim.spec ?? {}) as ClaimSpec;
  const v = (volume.spec ?? {}) as VolumeSpec;
  if ((v.storageClassName ?? '') !== (c.storageClassName ?? ''))
    return `storage class ${JSON.stringify(v.storageClassName ?? '')} is not the claim's`;
  if ((v.volumeMode ?? 'Filesystem') !== (c.volumeMode ?? 'Filesystem')) return 'volume mode differs';
  const modes = v.accessModes ?? [];
  const missing = (c.accessModes ?? []).filter((m) => !modes.includes(m));
  if (missing.length) return `access modes ${missing.join(',')} not offered`;
  const requested = parseQuantity(c.resources?.requests?.storage) ?? 0;
  const capacity = parseQuantity(v.capacity?.storage) ?? 0;
  if (capacity < requested)
    return `capacity ${v.capacity?.storage} is less than the requested ${c.resources?.requests?.storage}`;
  if (c.selector && !matchesLabels(fromLabelSelectorObject(c.selector), volume.metadata.labels ?? {}))
    return 'labels do not match the claim selector';
  const terms = v.nodeAffinity?.required?.nodeSelectorTerms;
  if (terms?.length && !terms.some((t) => nodeMatchesTerm(t, nodeName))) return `node affinity excludes ${nodeName}`;
  return undefined;
}

/** Only the node's hostname label can be matched: it is the one label devcluster's node is known by. */
function nodeMatchesTerm(
  term: { matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> },
  nodeName: string,
): boolean {
  return (term.matchExpressions ?? []).every((e) => {
    if (e.key !== 'kubernetes.io/hostname') return e.operator === 'DoesNotExist' || e.operator === 'NotIn';
    if (e.operator === 'In') return (e.values ?? []).includes(nodeName);
    if (e.operator === 'NotIn') return !(e.values ?? []).includes(nodeName);
    return e.operator === 'Exists';
  });
}

/** The volume the claim should bind to, if any. */
export function findMatchingVolume(claim: KubeObject, volumes: KubeObject[], nodeName: string): KubeObject | undefined {
  const wanted = (claim.spec as ClaimSpec | undefined)?.volumeName;
  const candidates = volumes.filter((v) => {
    if (v.metadata.deletionTimestamp) return false;
    if (wanted && v.metadata.name !== wanted) return false;
    const ref = (v.spec as VolumeSpec | undefined)?.claimRef;
    if (ref && !isPreBoundTo(v, claim)) return false;
    if (!ref && (v.status as { phase?: string } | undefined)?.phase !== 'Available') return false;
    return volumeMismatch(claim, v, nodeName) === undefined;
  });
  const size = (v: KubeObject) => parseQuantity((v.spec as VolumeSpec).capacity?.storage) ?? 0;
  const preBound = candidates.filter((v) => isPreBoundTo(v, claim));
  const pool = preBound.length ? preBound : candidates;
  return pool.sort((a, b) => size(a) - size(b) || String(a.metadata.name).localeCompare(String(b.metadata.name)))[0];
}

export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

export interface ClaimScheduling {
  /** Why the pod cannot be placed yet (the scheduler's FailedScheduling message), if so. */
  unschedulable?: string;
  /** WaitForFirstConsumer claims to mark with the chosen node, so they get provisioned. */
  selectNodeFor: string[];
  /** Claims still binding: the pod waits for them. */
  waitingFor: string[];
}

/** The scheduler's volume-binding check for a pod's claims on the one node. */
export function claimScheduling(
  claimNames: string[],
  claim: (name: string) => KubeObject | undefined,
  bindingMode: (className: string | undefined) => string | undefined,
): ClaimScheduling {
  const out: ClaimScheduling = { selectNodeFor: [], waitingFor: [] };
  const problems: string[] = [];
  let unboundImmediate = false;
  for (const name of claimNames) {
    const c = claim(name);
    if (!c) {
      problems.push(`persistentvolumeclaim "${name}" not found`);
      continue;
    }
    if (c.metadata.deletionTimestamp) {
      problems.push(`persistentvolumeclaim "${name}" is being deleted`);
      continue;
    }
    if ((c.status as { phase?: string } | undefined)?.phase === 'Bound') continue;
    const mode = bindingMode((c.spec as { storageClassName?: string } | undefined)?.storageClassName);
    if (mode === 'WaitForFirstConsumer') {
      if (!c.metadata.annotations?.[SELECTED_NODE_ANNOTATION]) out.selectNodeFor.push(name);
      out.waitingFor.push(name);
    } else unboundImmediate = true;
  }
  if (unboundImmediate) problems.push('pod has unbound immediate PersistentVolumeClaims');
  if (problems.length)
    out.unschedulable =
      `0/1 nodes are available: ${problems.join(', ')}. preemption: 0/1 nodes are ` +
      `available: 1 Preemption is not helpful for scheduling.`;
  return out;
}
