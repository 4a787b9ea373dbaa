// apps/v1 Deployments and ReplicaSets: schemas, defaults and validation as kube-apiserver applies them.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../../api/errors.ts';
import { fromLabelSelectorObject, matchesLabels, type LabelSelectorObject } from '../../logic/selectors.ts';
import { deepEqual, isObject, isStruct, type JsonObject } from '../../logic/schema.ts';
import type { ResourceType } from '../resource-type.ts';
import { objectFrame, objectMetaSchema, type KubeObject } from '../object-meta.ts';
import { atomicList, bool, int, int64, intOrString, keyedList, obj, opaque, str, time } from '../schema-dsl.ts';
import { persistentVolumeClaimSpecSchema, validateClaimSpec } from './storage.ts';
import { col, defineBuiltin, get } from './define.ts';
import { defaultPodSpec, labelSelectorSchema, podTemplateSpecSchema, validatePodSpec } from './pod-spec.ts';

const conditions = keyedList(
  obj(
    {
      type: str(),
      status: str(),
      lastUpdateTime: time(),
      lastTransitionTime: time(),
      reason: str(),
      message: str(),
    },
    { required: ['type', 'status'] },
  ),
  ['type'],
);

const containersCell = (o: KubeObject) =>
  ((get(o, 'spec', 'template', 'spec', 'containers') as JsonObject[] | undefined) ?? []).map((c) => c.name).join(',');
const imagesCell = (o: KubeObject) =>
  ((get(o, 'spec', 'template', 'spec', 'containers') as JsonObject[] | undefined) ?? []).map((c) => c.image).join(',');
const selectorCell = (o: KubeObject) => {
  const sel = get(o, 'spec', 'selector') as LabelSelectorObject | undefined;
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? [])
    parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`);
  return parts.join(',') || '<none>';
};
const wideColumns = [
  col('Containers', containersCell, 1),
  col('Images', imagesCell, 1),
  col('Selector', selectorCell, 1),
];

function defaultTemplate(o: KubeObject): void {
  const spec = get(o, 'spec', 'template', 'spec');
  if (isObject(spec)) defaultPodSpec(spec);
}

/** Selector present, matching the template's labels, immutable after create. */
function validateSelectorAndTemplate(
  o: KubeObject,
  old: KubeObject | undefined,
  claimTemplates: string[] = [],
): FieldError[] {
  const errors: FieldError[] = [];
  const selector = get(o, 'spec', 'selector') as LabelSelectorObject | undefined;
  const templateLabels = (get(o, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
  if (
    !isStruct(selector) ||
    (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length)
  ) {
    errors.push(fieldRequired('spec.selector'));
    if (!isStruct(selector)) return errors;
  } else if (!matchesLabels(fromLabelSelectorObject(selector), templateLabels)) {
    const shown = `map[string]string{${Object.entries(templateLabels)
      .map(([k, v]) => `"${k}":"${v}"`)
      .join(', ')}}`;
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      detail: `Invalid value: ${shown}: \`selector\` does not match template \`labels\``,
    });
  }
  if (old && !deepEqual(get(old, 'spec', 'selector'), selector)) {
    errors.push(fieldInvalid('spec.selector', 'v1.LabelSelector', 'field is immutable'));
  }
  const replicas = get(o, 'spec', 'replicas');
  if (typeof replicas === 'number' && replicas < 0)
    errors.push(fieldInvalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
  if (!isObject(get(o, 'spec', 'template'))) errors.push(fieldRequired('spec.template'));
  else errors.push(...validatePodSpec(get(o, 'spec', 'template', 'spec'), 'spec.template.spec', claimTemplates));
  return errors;
}

function defaultDeploymentSpec(o: KubeObject): void {
  const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  const strategy = (isObject(spec.strategy) ? spec.strategy : (spec.strategy = {})) as JsonObject;
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (
      isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {})
    ) as JsonObject;
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  defaultTemplate(o);
}

const deploymentScale = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};

const deployment = defineBuiltin({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  tracksGeneration: true,
  statusSubresource: true,
  scale: deploymentScale,
  schema: objectFrame({
    spec: obj(
      {
        replicas: int(),
        selector: labelSelectorSchema,
        template: podTemplateSpecSchema,
        strategy: obj(
          { type: str(), rollingUpdate: obj({ maxUnavailable: intOrString(), maxSurge: intOrString() }) },
          { 'x-kubernetes-patch-strategy': 'retainKeys' },
        ),
        minReadySeconds: int(),
        revisionHistoryLimit: int(),
        paused: bool(),
        progressDeadlineSeconds: int(),
      },
      { required: ['selector', 'template'] },
    ),
    status: obj({
      observedGeneration: int(),
      replicas: int(),
      updatedReplicas: int(),
      readyReplicas: int(),
      availableReplicas: int(),
      unavailableReplicas: int(),
      terminatingReplicas: int(),
      conditions,
      collisionCount: int(),
    }),
  }),
  columns: [
    col('Ready', (o) => `${get(o, 'status', 'readyReplicas') ?? 0}/${get(o, 'spec', 'replicas') ?? 0}`),
    col('Up-to-date', (o) => get(o, 'status', 'updatedReplicas') ?? 0),
    col('Available', (o) => get(o, 'status', 'availableReplicas') ?? 0),
  ],
  trailingColumns: wideColumns,
  strategy: {
    prepareForCreate(o) {
      defaultDeploymentSpec(o);
      o.status = {};
    },
    prepareForUpdate: defaultDeploymentSpec,
    validate: validateSelectorAndTemplate,
  },
});

function defaultReplicaSetSpec(o: KubeObject): void {
  const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
  spec.replicas ??= 1;
  defaultTemplate(o);
}

const replicaSet = defineBuiltin({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  tracksGeneration: true,
  statusSubresource: true,
  scale: deploymentScale,
  schema: objectFrame({
    spec: obj(
      { replicas: int(), minReadySeconds: int(), selector: labelSelectorSchema, template: podTemplateSpecSchema },
      { required: ['selector'] },
    ),
    status: obj({
      replicas: int(),
      fullyLabeledReplicas: int(),
      readyReplicas: int(),
      availableReplicas: int(),
      terminatingReplicas: int(),
      observedGeneration: int(),
      conditions,
    }),
  }),
  columns: [
    col('Desired', (o) => get(o, 'spec', 'replicas') ?? 0),
    col('Current', (o) => get(o, 'status', 'replicas') ?? 0),
    col('Ready', (o) => get(o, 'status', 'readyReplicas') ?? 0),
  ],
  trailingColumns: wideColumns,
  fieldSelectors: { 'status.replicas': (o) => String(get(o, 'status', 'replicas') ?? 0) },
  strategy: {
    prepareForCreate(o) {
      defaultReplicaSetSpec(o);
      o.status = { replicas: 0 };
    },
    prepareForUpdate: defaultReplicaSetSpec,
    validate: validateSelectorAndTemplate,
  },
});

const ready = (o: KubeObject) => `${get(o, 'status', 'readyReplicas') ?? 0}/${get(o, 'spec', 'replicas') ?? 0}`;

function claimTemplateNames(o: KubeObject): string[] {
  return ((get(o, 'spec', 'volumeClaimTemplates') as JsonObject[] | undefined) ?? [])
    .map((t) => get(t, 'metadata', 'name'))
    .filter((n): n is string => typeof n === 'string');
}

function defaultStatefulSet(o: KubeObject): void {
  const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  spec.revisionHistoryLimit ??= 10;
  const strategy = (isObject(spec.updateStrategy) ? spec.updateStrategy : (spec.updateStrategy = {})) as JsonObject;
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (
      isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {})
    ) as JsonObject;
    ru.partition ??= 0;
  }
  const retention = (
    isObject(spec.persistentVolumeClaimRetentionPolicy)
      ? spec.persistentVolumeClaimRetentionPolicy
      : (spec.persistentVolumeClaimRetentionPolicy = {})
  ) as JsonObject;
  retention.whenDeleted ??= 'Retain';
  retention.whenScaled ??= 'Retain';
  for (const t of (Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) as JsonObject[]) {
    if (!isObject(t)) continue;
    const claim = (isObject(t.spec) ? t.spec : (t.spec = {})) as JsonObject;
    claim.volumeMode ??= 'Filesystem';
    t.apiVersion ??= 'v1';
    t.kind ??= 'PersistentVolumeClaim';
  }
  defaultTemplate(o);
}

const STATEFULSET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

const statefulSet = defineBuiltin({
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  tracksGeneration: true,
  statusSubresource: true,
  scale: deploymentScale,
  schema: objectFrame({
    spec: obj(
      {
        replicas: int(),
        selector: labelSelectorSchema,
        template: podTemplateSpecSchema,
        volumeClaimTemplates: atomicList(
          obj({
            apiVersion: str(),
            kind: str(),
            metadata: objectMetaSchema,
            spec: persistentVolumeClaimSpecSchema,
            status: opaque(),
          }),
        ),
        serviceName: str(),
        podManagementPolicy: str(),
        updateStrategy: obj({ type: str(), rollingUpdate: obj({ partition: int(), maxUnavailable: intOrString() }) }),
        revisionHistoryLimit: int(),
        minReadySeconds: int(),
        persistentVolumeClaimRetentionPolicy: obj({ whenDeleted: str(), whenScaled: str() }),
        ordinals: obj({ start: int() }),
      },
      { required: ['selector', 'template'] },
    ),
    status: obj({
      observedGeneration: int64(),
      replicas: int(),
      readyReplicas: int(),
      currentReplicas: int(),
      updatedReplicas: int(),
      currentRevision: str(),
      updateRevision: str(),
      collisionCount: int(),
      conditions,
      availableReplicas: int(),
    }),
  }),
  columns: [col('Ready', ready)],
  trailingColumns: wideColumns.slice(0, 2),
  strategy: {
    prepareForCreate(o) {
      defaultStatefulSet(o);
      o.status = { replicas: 0, availableReplicas: 0 };
    },
    prepareForUpdate: defaultStatefulSet,
    validate(o, old) {
      const errors = validateSelectorAndTemplate(o, old, claimTemplateNames(o));
      const spec = (o.spec ?? {}) as JsonObject;
      if (!['OrderedReady', 'Parallel'].includes(String(spec.podManagementPolicy)))
        errors.push(
          fieldNotSupported('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']),
        );
      const strategyType = get(spec, 'updateStrategy', 'type');
      if (!['RollingUpdate', 'OnDelete'].includes(String(strategyType)))
        errors.push(fieldNotSupported('spec.updateStrategy.type', strategyType, ['RollingUpdate', 'OnDelete']));
      for (const when of ['whenDeleted', 'whenScaled']) {
        const v = get(spec, 'persistentVolumeClaimRetentionPolicy', when);
        if (v !== 'Retain' && v !== 'Delete')
          errors.push(fieldNotSupported(`spec.persistentVolumeClaimRetentionPolicy.${when}`, v, ['Retain', 'Delete']));
      }
      ((spec.volumeClaimTemplates as JsonObject[] | undefined) ?? []).forEach((t, i) => {
        if (!get(t, 'metadata', 'name')) errors.push(fieldRequired(`spec.volumeClaimTemplates[${i}].metadata.name`));
        errors.push(...validateClaimSpec(get(t, 'spec'), `spec.volumeClaimTemplates[${i}].spec`));
      });
      if (old) {
        const fixed = (s: unknown) =>
          Object.fromEntries(Object.entries((s ?? {}) as JsonObject).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
        if (!deepEqual(fixed(o.spec), fixed(old.spec)))
          errors.push(
            fieldForbidden(
              'spec',
              "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', " +
                "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ),
          );
      }
      return errors;
    },
  },
});

function defaultDaemonSet(o: KubeObject): void {
  const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
  spec.revisionHistoryLimit ??= 10;
  const strategy = (isObject(spec.updateStrategy) ? spec.updateStrategy : (spec.updateStrategy = {})) as JsonObject;
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (
      isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {})
    ) as JsonObject;
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  defaultTemplate(o);
}

const num = (path: string[]) => (o: KubeObject) => get(o, ...path) ?? 0;

const daemonSet = defineBuiltin({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  tracksGeneration: true,
  statusSubresource: true,
  schema: objectFrame({
    spec: obj(
      {
        selector: labelSelectorSchema,
        template: podTemplateSpecSchema,
        updateStrategy: obj({
          type: str(),
          rollingUpdate: obj({ maxUnavailable: intOrString(), maxSurge: intOrString() }),
        }),
        minReadySeconds: int(),
        revisionHistoryLimit: int(),
      },
      { required: ['selector', 'template'] },
    ),
    status: obj({
      currentNumberScheduled: int(),
      numberMisscheduled: int(),
      desiredNumberScheduled: int(),
      numberReady: int(),
      observedGeneration: int64(),
      updatedNumberScheduled: int(),
      numberAvailable: int(),
      numberUnavailable: int(),
      collisionCount: int(),
      conditions,
    }),
  }),
  columns: [
    col('Desired', num(['status', 'desiredNumberScheduled'])),
    col('Current', num(['status', 'currentNumberScheduled'])),
    col('Ready', num(['status', 'numberReady'])),
    col('Up-to-date', num(['status', 'updatedNumberScheduled'])),
    col('Available', num(['status', 'numberAvailable'])),
    col('Node Selector', (o) => {
      const sel = get(o, 'spec', 'template', 'spec', 'nodeSelector') as Record<string, string> | undefined;
      return sel && Object.keys(sel).length
        ? Object.entries(sel)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')
        : '<none>';
    }),
  ],
  trailingColumns: wideColumns,
  strategy: {
    prepareForCreate(o) {
      defaultDaemonSet(o);
      o.status = {
        currentNumberScheduled: 0,
        numberMisscheduled: 0,
        desiredNumberScheduled: 0,
        numberReady: 0,
      };
    },
    prepareForUpdate: defaultDaemonSet,
    validate(o, old) {
      const errors = validateSelectorAndTemplate(o, old);
      const restart = get(o, 'spec', 'template', 'spec', 'restartPolicy');
      if (restart !== undefined && restart !== 'Always')
        errors.push(fieldNotSupported('spec.template.spec.restartPolicy', restart, ['Always']));
      const strategyType = get(o, 'spec', 'updateStrategy', 'type');
      if (!['RollingUpdate', 'OnDelete'].includes(String(strategyType)))
        errors.push(fieldNotSupported('spec.updateStrategy.type', strategyType, ['RollingUpdate', 'OnDelete']));
      return errors;
    },
  },
});

const controllerRevision = defineBuiltin({
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  namespaced: true,
  schema: objectFrame({ data: opaque(), revision: int64() }, { required: ['revision'] }),
  columns: [
    col('Controller', (o) => {
      const ref = o.metadata.ownerReferences?.find((r) => r.controller);
      return ref ? `${ref.kind.toLowerCase()}.${ref.apiVersion.split('/')[0]}/${ref.name}` : '<none>';
    }),
    col('Revision', (o) => o.revision),
  ],
  strategy: {
    validate(o, old) {
      const errors: FieldError[] = [];
      if (typeof o.revision !== 'number' || o.revision < 0)
        errors.push(fieldInvalid('revision', o.revision ?? null, 'must be greater than or equal to 0'));
      if (old && !deepEqual(o.data, old.data))
        errors.push(fieldInvalid('data', 'runtime.RawExtension{...}', 'field is immutable'));
      return errors;
    },
  },
});

export const appsTypes: ResourceType[] = [deployment, replicaSet, statefulSet, daemonSet, controllerRevision];
