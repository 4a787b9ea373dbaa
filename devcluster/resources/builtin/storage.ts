// Storage kinds: core/v1 PersistentVolumeClaim and PersistentVolume, storage.k8s.io/v1 StorageClass.
// Schemas follow the real API; strategies add the defaults, protection finalizers and immutability
// rules kube-apiserver applies (binding and provisioning are the persistent-volume controller's job).
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../../api/errors.ts';
import { parseQuantity, quantityProblem } from '../../logic/quantity.ts';
import { deepEqual, isObject, type JsonObject } from '../../logic/schema.ts';
import { objectFrame, type KubeObject } from '../object-meta.ts';
import { AGE_COLUMN, type ResourceType } from '../resource-type.ts';
import { atomicList, bool, keyedList, obj, opaque, str, stringMap, time } from '../schema-dsl.ts';
import { col, defineBuiltin, get, quantityMap } from './define.ts';
import { labelSelectorSchema } from './pod-spec.ts';

export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION = 'kubernetes.io/pv-protection';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
/** The volume sources a PersistentVolume may name; devcluster mounts hostPath and local ones. */
const PV_SOURCES = [
  'hostPath',
  'local',
  'nfs',
  'csi',
  'iscsi',
  'fc',
  'cephfs',
  'rbd',
  'glusterfs',
  'azureFile',
  'azureDisk',
  'awsElasticBlockStore',
  'gcePersistentDisk',
  'flexVolume',
];

const conditions = keyedList(
  obj({
    type: str(),
    status: str(),
    lastProbeTime: time(),
    lastTransitionTime: time(),
    reason: str(),
    message: str(),
  }),
  ['type'],
);

/** "RWO,RWX" as kubectl prints access modes. */
export function accessModesCell(modes: unknown): string {
  const short: Record<string, string> = {
    ReadWriteOnce: 'RWO',
    ReadOnlyMany: 'ROX',
    ReadWriteMany: 'RWX',
    ReadWriteOncePod: 'RWOP',
  };
  return (Array.isArray(modes) ? modes : []).map((m) => short[String(m)] ?? String(m)).join(',');
}

function validateAccessModes(modes: unknown, field: string): FieldError[] {
  if (!Array.isArray(modes) || modes.length === 0) return [fieldRequired(field, 'at least 1 access mode is required')];
  const errors: FieldError[] = [];
  for (const m of modes) if (!ACCESS_MODES.includes(String(m))) errors.push(fieldNotSupported(field, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1)
    errors.push(fieldForbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return errors;
}

function validateQuantities(map: unknown, field: string): FieldError[] {
  if (!isObject(map)) return [];
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(map)) {
    const problem = quantityProblem(v);
    if (problem) errors.push(fieldInvalid(`${field}[${k}]`, v, problem));
  }
  return errors;
}

const claimSpec = obj({
  accessModes: atomicList(str()),
  selector: labelSelectorSchema,
  resources: obj({ limits: quantityMap(), requests: quantityMap() }),
  volumeName: str(),
  storageClassName: str(),
  volumeMode: str(),
  dataSource: obj({ apiGroup: str(), kind: str(), name: str() }, { 'x-kubernetes-map-type': 'atomic' }),
  dataSourceRef: obj({ apiGroup: str(), kind: str(), name: str(), namespace: str() }),
  volumeAttributesClassName: str(),
});

function validateClaimSpec(spec: unknown, field: string): FieldError[] {
  if (!isObject(spec)) return [fieldRequired(field)];
  const errors = validateAccessModes(spec.accessModes, `${field}.accessModes`);
  const requests = get(spec, 'resources', 'requests');
  const storage = isObject(requests) ? requests.storage : undefined;
  if (storage === undefined) errors.push(fieldRequired(`${field}.resources[storage]`));
  else if ((parseQuantity(storage) ?? 0) <= 0 && quantityProblem(storage) === undefined)
    errors.push(fieldInvalid(`${field}.resources.requests[storage]`, storage, 'must be greater than zero'));
  errors.push(...validateQuantities(requests, `${field}.resources.requests`));
  errors.push(...validateQuantities(get(spec, 'resources', 'limits'), `${field}.resources.limits`));
  if (spec.volumeMode !== undefined && !['Filesystem', 'Block'].includes(String(spec.volumeMode)))
    errors.push(fieldNotSupported(`${field}.volumeMode`, spec.volumeMode, ['Block', 'Filesystem']));
  return errors;
}

/** The PVC spec checks a StatefulSet's volumeClaimTemplates share. */
export { claimSpec as persistentVolumeClaimSpecSchema, validateClaimSpec };

function defaultClaimSpec(o: KubeObject): void {
  const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
  spec.volumeMode ??= 'Filesystem';
}

function addFinalizer(o: KubeObject, finalizer: string): void {
  const finalizers = o.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) o.metadata.finalizers = [...finalizers, finalizer];
}

const persistentVolumeClaim = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  namespaced: true,
  shortNames: ['pvc'],
  statusSubresource: true,
  schema: objectFrame({
    spec: claimSpec,
    status: obj({
      phase: str(),
      accessModes: atomicList(str()),
      capacity: quantityMap(),
      conditions,
      allocatedResources: quantityMap(),
      allocatedResourceStatuses: stringMap(),
      currentVolumeAttributesClassName: str(),
      modifyVolumeStatus: opaque(),
    }),
  }),
  columns: [
    col('Status', (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (get(o, 'status', 'phase') ?? 'Pending'))),
    col('Volume', (o) => get(o, 'spec', 'volumeName') ?? ''),
    col('Capacity', (o) => get(o, 'status', 'capacity', 'storage') ?? ''),
    col('Access Modes', (o) => accessModesCell(get(o, 'status', 'accessModes'))),
    col('StorageClass', (o) => get(o, 'spec', 'storageClassName') ?? ''),
    col('VolumeAttributesClass', (o) => get(o, 'spec', 'volumeAttributesClassName') ?? '<unset>'),
  ],
  trailingColumns: [col('VolumeMode', (o) => get(o, 'spec', 'volumeMode') ?? '', 1)],
  strategy: {
    prepareForCreate(o) {
      defaultClaimSpec(o);
      addFinalizer(o, PVC_PROTECTION);
      o.status = { phase: 'Pending' };
    },
    prepareForUpdate: defaultClaimSpec,
    validate(o, old) {
      const errors = validateClaimSpec(o.spec, 'spec');
      if (!old) return errors;
      const strip = (s: unknown, keepVolumeName: boolean) => {
        const copy = { ...(s as JsonObject) };
        delete copy.resources;
        delete copy.volumeAttributesClassName;
        if (!keepVolumeName) delete copy.volumeName;
        return copy;
      };
      // binding sets volumeName once; everything else but the requested size is fixed at creation
      const wasBound = Boolean(get(old, 'spec', 'volumeName'));
      if (!deepEqual(strip(o.spec, wasBound), strip(old.spec, wasBound)))
        errors.push(
          fieldForbidden(
            'spec',
            'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
          ),
        );
      const requested = parseQuantity(get(o, 'spec', 'resources', 'requests', 'storage'));
      const capacity = parseQuantity(get(old, 'status', 'capacity', 'storage'));
      if (requested !== undefined && capacity !== undefined && requested < capacity)
        errors.push(fieldForbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
      return errors;
    },
  },
});

const nodeSelectorTerms = atomicList(
  obj({
    matchExpressions: atomicList(obj({ key: str(), operator: str(), values: atomicList(str()) })),
    matchFields: atomicList(obj({ key: str(), operator: str(), values: atomicList(str()) })),
  }),
);

const objectRef = obj({
  kind: str(),
  namespace: str(),
  name: str(),
  uid: str(),
  apiVersion: str(),
  resourceVersion: str(),
  fieldPath: str(),
});

/** The volume source a PersistentVolume names (hostPath, local, nfs, ...), if exactly one. */
export function persistentVolumeSources(spec: unknown): string[] {
  return isObject(spec) ? PV_SOURCES.filter((k) => spec[k] !== undefined) : [];
}

function defaultVolumeSpec(o: KubeObject): void {
  const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
  spec.persistentVolumeReclaimPolicy ??= 'Retain';
  spec.volumeMode ??= 'Filesystem';
  if (isObject(spec.hostPath)) spec.hostPath.type ??= '';
}

const persistentVolume = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  namespaced: false,
  shortNames: ['pv'],
  statusSubresource: true,
  schema: objectFrame({
    spec: {
      ...obj({
        capacity: quantityMap(),
        accessModes: atomicList(str()),
        claimRef: { ...objectRef, 'x-kubernetes-map-type': 'granular' },
        persistentVolumeReclaimPolicy: str(),
        storageClassName: str(),
        mountOptions: atomicList(str()),
        volumeMode: str(),
        nodeAffinity: obj({ required: obj({ nodeSelectorTerms }) }),
        volumeAttributesClassName: str(),
        hostPath: obj({ path: str(), type: str() }, { required: ['path'] }),
        local: obj({ path: str(), fsType: str() }, { required: ['path'] }),
      }),
      // the remote volume sources are kept as sent: devcluster cannot mount them
      'x-kubernetes-preserve-unknown-fields': true,
    },
    status: obj({ phase: str(), message: str(), reason: str(), lastPhaseTransitionTime: time() }),
  }),
  columns: [
    col('Capacity', (o) => get(o, 'spec', 'capacity', 'storage') ?? ''),
    col('Access Modes', (o) => accessModesCell(get(o, 'spec', 'accessModes'))),
    col('Reclaim Policy', (o) => get(o, 'spec', 'persistentVolumeReclaimPolicy') ?? ''),
    col('Status', (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (get(o, 'status', 'phase') ?? 'Pending'))),
    col('Claim', (o) => {
      const ref = get(o, 'spec', 'claimRef') as JsonObject | undefined;
      return ref ? `${ref.namespace}/${ref.name}` : '';
    }),
    col('StorageClass', (o) => get(o, 'spec', 'storageClassName') ?? ''),
    col('VolumeAttributesClass', (o) => get(o, 'spec', 'volumeAttributesClassName') ?? '<unset>'),
    col('Reason', (o) => get(o, 'status', 'reason') ?? ''),
  ],
  trailingColumns: [col('VolumeMode', (o) => get(o, 'spec', 'volumeMode') ?? '', 1)],
  strategy: {
    prepareForCreate(o) {
      defaultVolumeSpec(o);
      addFinalizer(o, PV_PROTECTION);
      o.status = { phase: 'Pending' };
    },
    prepareForUpdate: defaultVolumeSpec,
    validate(o, old) {
      const spec = o.spec;
      if (!isObject(spec)) return [fieldRequired('spec')];
      const errors = validateAccessModes(spec.accessModes, 'spec.accessModes');
      const capacity = isObject(spec.capacity) ? spec.capacity : undefined;
      if (!capacity || capacity.storage === undefined)
        errors.push(fieldRequired('spec.capacity', 'must specify a capacity'));
      errors.push(...validateQuantities(capacity, 'spec.capacity'));
      const sources = persistentVolumeSources(spec);
      if (sources.length === 0) errors.push(fieldRequired('spec', 'must specify a volume type'));
      if (sources.length > 1)
        errors.push(fieldForbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
      for (const kind of ['hostPath', 'local'] as const) {
        const path = get(spec, kind, 'path');
        if (spec[kind] !== undefined && (typeof path !== 'string' || !path.startsWith('/')))
          errors.push(fieldInvalid(`spec.${kind}.path`, path ?? '', 'must be an absolute path'));
      }
      if (!RECLAIM_POLICIES.includes(String(spec.persistentVolumeReclaimPolicy)))
        errors.push(
          fieldNotSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, RECLAIM_POLICIES),
        );
      if (old) {
        for (const source of new Set([...sources, ...persistentVolumeSources(old.spec)])) {
          if (!deepEqual(spec[source], get(old, 'spec', source)))
            errors.push(
              fieldForbidden(`spec.persistentvolumesource`, 'spec.persistentvolumesource is immutable after creation'),
            );
        }
      }
      return errors;
    },
  },
});

/** The default StorageClass: the newest marked as default, as kube picks when several are. */
export function pickDefaultClass(classes: KubeObject[]): KubeObject | undefined {
  return classes
    .filter(isDefaultClass)
    .sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))[0];
}

export function isDefaultClass(o: KubeObject): boolean {
  const v =
    o.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] ??
    o.metadata.annotations?.['storageclass.beta.kubernetes.io/is-default-class'];
  return v === 'true';
}

const storageClass = defineBuiltin({
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  namespaced: false,
  shortNames: ['sc'],
  schema: objectFrame(
    {
      provisioner: str(),
      parameters: stringMap(),
      reclaimPolicy: str(),
      mountOptions: atomicList(str()),
      allowVolumeExpansion: bool(),
      volumeBindingMode: str(),
      allowedTopologies: atomicList(opaque()),
    },
    { required: ['provisioner'] },
  ),
  replaceColumns: true,
  columns: [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      priority: 0,
      description: '',
      cell: (o) => `${o.metadata.name}${isDefaultClass(o) ? ' (default)' : ''}`,
    },
    col('Provisioner', (o) => o.provisioner),
    col('ReclaimPolicy', (o) => o.reclaimPolicy ?? 'Delete'),
    col('VolumeBindingMode', (o) => o.volumeBindingMode ?? 'Immediate'),
    col('AllowVolumeExpansion', (o) => String(o.allowVolumeExpansion ?? false)),
    AGE_COLUMN,
  ],
  strategy: {
    prepareForCreate(o) {
      o.reclaimPolicy ??= 'Delete';
      o.volumeBindingMode ??= 'Immediate';
    },
    prepareForUpdate(o, old) {
      o.reclaimPolicy ??= old.reclaimPolicy ?? 'Delete';
      o.volumeBindingMode ??= old.volumeBindingMode ?? 'Immediate';
    },
    validate(o, old) {
      const errors: FieldError[] = [];
      if (typeof o.provisioner !== 'string' || !o.provisioner) errors.push(fieldRequired('provisioner'));
      if (!['Delete', 'Retain'].includes(String(o.reclaimPolicy)))
        errors.push(fieldNotSupported('reclaimPolicy', o.reclaimPolicy, ['Delete', 'Retain']));
      if (!BINDING_MODES.includes(String(o.volumeBindingMode)))
        errors.push(fieldNotSupported('volumeBindingMode', o.volumeBindingMode, BINDING_MODES));
      if (old) {
        for (const f of ['parameters', 'provisioner', 'reclaimPolicy', 'volumeBindingMode']) {
          if (!deepEqual(o[f] ?? null, old[f] ?? null))
            errors.push(fieldForbidden(f, `updates to ${f} are forbidden.`));
        }
      }
      return errors;
    },
  },
});

export const storageTypes: ResourceType[] = [persistentVolumeClaim, persistentVolume, storageClass];
