// apps/v1 Deployments and ReplicaSets: schemas, defaults and validation as kube-apiserver applies them.
import { fieldInvalid, fieldRequired, type FieldError } from '../../api/errors.ts';
import { fromLabelSelectorObject, matchesLabels, type LabelSelectorObject } from '../../logic/selectors.ts';
import { deepEqual, isObject, isStruct, type JsonObject } from '../../logic/schema.ts';
import type { PrinterColumn, ResourceType } from '../resource-type.ts';
import { objectFrame, type KubeObject } from '../object-meta.ts';
import { bool, int, intOrString, keyedList, obj, str, time } from '../schema-dsl.ts';
import { defineBuiltin, get } from './define.ts';
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

const col = (name: string, cell: PrinterColumn['cell'], priority = 0): PrinterColumn => ({
  name,
  type: 'string',
  cell,
  priority,
  description: '',
});

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
function validateSelectorAndTemplate(o: KubeObject, old: KubeObject | undefined): FieldError[] {
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
  else errors.push(...validatePodSpec(get(o, 'spec', 'template', 'spec'), 'spec.template.spec'));
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

export const appsTypes: ResourceType[] = [deployment, replicaSet];
