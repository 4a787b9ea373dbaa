// Kinds devcluster stores and validates as kube-apiserver does, for manifests that carry them:
// networking.k8s.io/v1 Ingress, IngressClass and NetworkPolicy, policy/v1 PodDisruptionBudget,
// autoscaling/v2 HorizontalPodAutoscaler and core/v1 LimitRange. No controller acts on them (there is
// no ingress controller, network plugin, eviction API or metrics API on a one-node loopback cluster);
// ResourceQuota, which is enforced, is here too.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../../api/errors.ts';
import { nameProblems } from '../../logic/names.ts';
import { parseQuantity, quantityProblem } from '../../logic/quantity.ts';
import { isObject, type JsonObject, type Schema } from '../../logic/schema.ts';
import { objectFrame, type KubeObject } from '../object-meta.ts';
import { AGE_COLUMN, NAME_COLUMN, type PrinterColumn, type ResourceType } from '../resource-type.ts';
import { atomicList, int, intOrString, keyedList, obj, opaque, str, stringMap, time } from '../schema-dsl.ts';
import { col, defineBuiltin, get, quantityMap } from './define.ts';
import { labelSelectorSchema } from './pod-spec.ts';

const conditions = keyedList(
  obj({
    type: str(),
    status: str(),
    lastTransitionTime: time(),
    reason: str(),
    message: str(),
    observedGeneration: int(),
  }),
  ['type'],
);
const list = (v: unknown) => (Array.isArray(v) ? v : []) as JsonObject[];

// ---------------------------------------------------------------------------------------------
// networking.k8s.io/v1

const typedRef = obj({ apiGroup: str(), kind: str(), name: str() }, { required: ['kind', 'name'] });
const ingressBackend = obj({
  service: obj({ name: str(), port: obj({ name: str(), number: int() }) }, { required: ['name'] }),
  resource: typedRef,
});
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateBackend(b: unknown, field: string): FieldError[] {
  if (!isObject(b)) return [];
  const hasService = isObject(b.service);
  if (hasService === isObject(b.resource))
    return [fieldInvalid(field, '', 'cannot set both service and resource backends, and one of them is required')];
  if (!hasService) return [];
  const port = get(b, 'service', 'port') as JsonObject | undefined;
  if (!isObject(port) || (port.name === undefined) === (port.number === undefined))
    return [fieldRequired(`${field}.service.port`, 'port name or number is required')];
  if (typeof port.number === 'number' && (port.number < 1 || port.number > 65535))
    return [fieldInvalid(`${field}.service.port.number`, port.number, 'must be between 1 and 65535, inclusive')];
  return [];
}

function validateHost(host: unknown, field: string): FieldError[] {
  if (host === undefined || host === '') return [];
  const h = String(host);
  const rest = h.startsWith('*.') ? h.slice(2) : h;
  if (rest.includes('*') || nameProblems(rest, 'subdomain').length || /^\d+(\.\d+){3}$/.test(h))
    return [
      fieldInvalid(
        field,
        h,
        "a lowercase RFC 1123 subdomain (optionally prefixed by a single '*.' label); IPs are not allowed",
      ),
    ];
  return [];
}

const ingress = defineBuiltin({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  namespaced: true,
  shortNames: ['ing'],
  tracksGeneration: true,
  statusSubresource: true,
  schema: objectFrame({
    spec: obj({
      ingressClassName: str(),
      defaultBackend: ingressBackend,
      tls: atomicList(obj({ hosts: atomicList(str()), secretName: str() })),
      rules: atomicList(
        obj({
          host: str(),
          http: obj(
            {
              paths: atomicList(
                obj({ path: str(), pathType: str(), backend: ingressBackend }, { required: ['pathType', 'backend'] }),
              ),
            },
            { required: ['paths'] },
          ),
        }),
      ),
    }),
    status: obj({
      loadBalancer: obj({ ingress: atomicList(obj({ ip: str(), hostname: str(), ports: atomicList(opaque()) })) }),
    }),
  }),
  columns: [
    col('Class', (o) => get(o, 'spec', 'ingressClassName') ?? '<none>'),
    col(
      'Hosts',
      (o) =>
        list(get(o, 'spec', 'rules'))
          .map((r) => r.host ?? '*')
          .join(',') || '*',
    ),
    col('Address', (o) =>
      list(get(o, 'status', 'loadBalancer', 'ingress'))
        .map((i) => i.ip ?? i.hostname)
        .join(','),
    ),
    col('Ports', (o) => (list(get(o, 'spec', 'tls')).length ? '80, 443' : '80')),
  ],
  strategy: {
    prepareForCreate(o) {
      o.status = { loadBalancer: {} };
    },
    validate(o) {
      const errors: FieldError[] = [];
      const spec = (isObject(o.spec) ? o.spec : {}) as JsonObject;
      const rules = list(spec.rules);
      if (!spec.defaultBackend && rules.length === 0)
        errors.push(fieldInvalid('spec.rules', '[]', 'either `defaultBackend` or `rules` must be specified'));
      errors.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
      rules.forEach((r, i) => {
        errors.push(...validateHost(r.host, `spec.rules[${i}].host`));
        list(get(r, 'http', 'paths')).forEach((p, j) => {
          const at = `spec.rules[${i}].http.paths[${j}]`;
          if (!PATH_TYPES.includes(String(p.pathType)))
            errors.push(
              p.pathType === undefined
                ? fieldRequired(`${at}.pathType`, 'pathType must be specified')
                : fieldNotSupported(`${at}.pathType`, p.pathType, PATH_TYPES),
            );
          if ((p.pathType === 'Exact' || p.pathType === 'Prefix') && !String(p.path ?? '').startsWith('/'))
            errors.push(fieldInvalid(`${at}.path`, p.path ?? '', 'must be an absolute path'));
          errors.push(...validateBackend(p.backend, `${at}.backend`));
        });
      });
      list(spec.tls).forEach((t, i) => {
        for (const [j, h] of ((t.hosts as string[] | undefined) ?? []).entries())
          errors.push(...validateHost(h, `spec.tls[${i}].hosts[${j}]`));
      });
      return errors;
    },
  },
});

const ingressClass = defineBuiltin({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  plural: 'ingressclasses',
  namespaced: false,
  schema: objectFrame({
    spec: obj({
      controller: str(),
      parameters: obj({ apiGroup: str(), kind: str(), name: str(), scope: str(), namespace: str() }),
    }),
  }),
  columns: [
    col('Controller', (o) => get(o, 'spec', 'controller')),
    col('Parameters', (o) => (get(o, 'spec', 'parameters') ? 'set' : '<none>')),
  ],
});

const peer = obj({
  podSelector: labelSelectorSchema,
  namespaceSelector: labelSelectorSchema,
  ipBlock: obj({ cidr: str(), except: atomicList(str()) }, { required: ['cidr'] }),
});
const policyPort = obj({ protocol: str(), port: intOrString(), endPort: int() });

const networkPolicy = defineBuiltin({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  namespaced: true,
  shortNames: ['netpol'],
  tracksGeneration: true,
  schema: objectFrame({
    spec: obj(
      {
        podSelector: labelSelectorSchema,
        ingress: atomicList(obj({ ports: atomicList(policyPort), from: atomicList(peer) })),
        egress: atomicList(obj({ ports: atomicList(policyPort), to: atomicList(peer) })),
        policyTypes: atomicList(str()),
      },
      { required: ['podSelector'] },
    ),
  }),
  columns: [
    col('Pod-Selector', (o) => {
      const labels = get(o, 'spec', 'podSelector', 'matchLabels') as Record<string, string> | undefined;
      const text = Object.entries(labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return text || '<none>';
    }),
  ],
  strategy: {
    prepareForCreate(o) {
      const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
      spec.policyTypes ??= spec.egress ? ['Ingress', 'Egress'] : ['Ingress'];
      for (const rule of [...list(spec.ingress), ...list(spec.egress)])
        for (const p of list(rule.ports)) p.protocol ??= 'TCP';
    },
    validate(o) {
      const errors: FieldError[] = [];
      const spec = (isObject(o.spec) ? o.spec : {}) as JsonObject;
      if (!isObject(spec.podSelector)) errors.push(fieldRequired('spec.podSelector'));
      for (const [i, t] of list(spec.policyTypes).entries())
        if (!['Ingress', 'Egress'].includes(String(t)))
          errors.push(fieldNotSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
      for (const [kind, rules] of [
        ['ingress', list(spec.ingress)],
        ['egress', list(spec.egress)],
      ] as const) {
        rules.forEach((r, i) =>
          list(r.ports).forEach((p, j) => {
            if (!['TCP', 'UDP', 'SCTP'].includes(String(p.protocol)))
              errors.push(
                fieldNotSupported(`spec.${kind}[${i}].ports[${j}].protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']),
              );
          }),
        );
      }
      return errors;
    },
  },
});

// ---------------------------------------------------------------------------------------------
// policy/v1 and autoscaling/v2

const podDisruptionBudget = defineBuiltin({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  namespaced: true,
  shortNames: ['pdb'],
  tracksGeneration: true,
  statusSubresource: true,
  schema: objectFrame({
    spec: obj({
      minAvailable: intOrString(),
      maxUnavailable: intOrString(),
      selector: labelSelectorSchema,
      unhealthyPodEvictionPolicy: str(),
    }),
    status: obj({
      observedGeneration: int(),
      disruptedPods: stringMap(),
      disruptionsAllowed: int(),
      currentHealthy: int(),
      desiredHealthy: int(),
      expectedPods: int(),
      conditions,
    }),
  }),
  columns: [
    col('Min Available', (o) => get(o, 'spec', 'minAvailable') ?? 'N/A'),
    col('Max Unavailable', (o) => get(o, 'spec', 'maxUnavailable') ?? 'N/A'),
    col('Allowed Disruptions', (o) => get(o, 'status', 'disruptionsAllowed') ?? 0),
  ],
  strategy: {
    prepareForCreate(o) {
      o.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    },
    validate(o) {
      const spec = (isObject(o.spec) ? o.spec : {}) as JsonObject;
      const errors: FieldError[] = [];
      if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined)
        errors.push(fieldInvalid('spec', '', 'minAvailable and maxUnavailable cannot be both set'));
      for (const f of ['minAvailable', 'maxUnavailable']) {
        const v = spec[f];
        if (typeof v === 'number' && v < 0)
          errors.push(fieldInvalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
        if (typeof v === 'string' && !/^\d+%$/.test(v))
          errors.push(
            fieldInvalid(`spec.${f}`, v, "a valid percent string must be a numeric string followed by an ending '%'"),
          );
      }
      const policy = spec.unhealthyPodEvictionPolicy;
      if (policy !== undefined && !['IfHealthyBudget', 'AlwaysAllow'].includes(String(policy)))
        errors.push(fieldNotSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
      return errors;
    },
  },
});

const metricTarget = obj({ type: str(), value: intOrString(), averageValue: intOrString(), averageUtilization: int() });
const metricSpec = obj({
  type: str(),
  resource: obj({ name: str(), target: metricTarget }),
  containerResource: obj({ name: str(), container: str(), target: metricTarget }),
  pods: opaque(),
  object: opaque(),
  external: opaque(),
});

/** What autoscaling/v1 and v2 HorizontalPodAutoscalers share: names, the spec's target and bounds, status counts. */
const hpaNames = {
  group: 'autoscaling',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  tracksGeneration: true,
  statusSubresource: true,
};
const hpaSpec = (fields: Record<string, Schema>) =>
  obj(
    {
      scaleTargetRef: obj({ kind: str(), name: str(), apiVersion: str() }, { required: ['kind', 'name'] }),
      minReplicas: int(),
      maxReplicas: int(),
      ...fields,
    },
    { required: ['scaleTargetRef', 'maxReplicas'] },
  );
const hpaStatus = (fields: Record<string, Schema>) =>
  obj({ observedGeneration: int(), lastScaleTime: time(), currentReplicas: int(), desiredReplicas: int(), ...fields });
const hpaColumns = (targets: PrinterColumn['cell']): PrinterColumn[] => [
  col('Reference', (o) => `${get(o, 'spec', 'scaleTargetRef', 'kind')}/${get(o, 'spec', 'scaleTargetRef', 'name')}`),
  col('Targets', targets),
  col('MinPods', (o) => get(o, 'spec', 'minReplicas') ?? 1),
  col('MaxPods', (o) => get(o, 'spec', 'maxReplicas')),
  col('Replicas', (o) => get(o, 'status', 'currentReplicas') ?? 0),
];

const horizontalPodAutoscaler = defineBuiltin({
  ...hpaNames,
  version: 'v2',
  schema: objectFrame({
    spec: hpaSpec({ metrics: atomicList(metricSpec), behavior: opaque() }),
    status: hpaStatus({ currentMetrics: atomicList(opaque()), conditions }),
  }),
  columns: hpaColumns((o) => {
    const metrics = list(get(o, 'spec', 'metrics'));
    if (!metrics.length) return '<none>';
    return metrics
      .map((m) => {
        const target = get(m, m.type === 'Resource' ? 'resource' : 'containerResource', 'target') as
          | JsonObject
          | undefined;
        const name = get(m, 'resource', 'name') ?? get(m, 'containerResource', 'name') ?? String(m.type).toLowerCase();
        const want =
          target?.averageUtilization !== undefined
            ? `${target.averageUtilization}%`
            : (target?.averageValue ?? target?.value ?? '?');
        return `${name}: <unknown>/${want}`;
      })
      .join(', ');
  }),
  strategy: {
    prepareForCreate(o) {
      const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
      spec.minReplicas ??= 1;
      if (spec.metrics === undefined)
        spec.metrics = [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        ];
      o.status = { currentReplicas: 0, desiredReplicas: 0 };
    },
    validate(o) {
      const spec = (isObject(o.spec) ? o.spec : {}) as JsonObject;
      const errors = replicaBoundErrors(spec);
      const types = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
      list(spec.metrics).forEach((m, i) => {
        if (!types.includes(String(m.type))) errors.push(fieldNotSupported(`spec.metrics[${i}].type`, m.type, types));
      });
      return errors;
    },
  },
});

/** The CPU utilization target of v2 metrics, the one metric autoscaling/v1 can say. */
function cpuUtilization(metrics: unknown): number | undefined {
  const cpu = list(metrics).find((m) => m.type === 'Resource' && get(m, 'resource', 'name') === 'cpu');
  const value = get(cpu, 'resource', 'target', 'averageUtilization');
  return typeof value === 'number' ? value : undefined;
}

/**
 * autoscaling/v1 is another view of the stored v2 HorizontalPodAutoscalers (`kubectl autoscale`
 * writes it): v1's targetCPUUtilizationPercentage is v2's cpu Utilization metric. Other metrics,
 * behavior and conditions are not visible through v1, and a v1 update replaces the metrics with
 * the CPU target (kube keeps them in annotations; write them with autoscaling/v2).
 */
const horizontalPodAutoscalerV1 = defineBuiltin({
  ...hpaNames,
  version: 'v1',
  schema: objectFrame({
    spec: hpaSpec({ targetCPUUtilizationPercentage: int() }),
    status: hpaStatus({ currentCPUUtilizationPercentage: int() }),
  }),
  columns: hpaColumns((o) => `cpu: <unknown>/${get(o, 'spec', 'targetCPUUtilizationPercentage') ?? 80}%`),
  toStorage(o) {
    const spec = (isObject(o.spec) ? o.spec : {}) as JsonObject;
    const { targetCPUUtilizationPercentage: target, ...rest } = spec;
    const status = (isObject(o.status) ? o.status : {}) as JsonObject;
    const { currentCPUUtilizationPercentage: _current, ...statusRest } = status;
    return {
      ...o,
      apiVersion: 'autoscaling/v2',
      spec: {
        ...rest,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target ?? 80 } },
          },
        ],
      },
      ...(o.status !== undefined ? { status: statusRest } : {}),
    };
  },
  fromStorage(o) {
    const { metrics, behavior: _behavior, ...spec } = (isObject(o.spec) ? o.spec : {}) as JsonObject;
    const target = cpuUtilization(metrics);
    const {
      currentMetrics: _metrics,
      conditions: _conditions,
      ...status
    } = (isObject(o.status) ? o.status : {}) as JsonObject;
    return {
      ...o,
      apiVersion: 'autoscaling/v1',
      spec: { ...spec, ...(target !== undefined ? { targetCPUUtilizationPercentage: target } : {}) },
      ...(o.status !== undefined ? { status } : {}),
    };
  },
  strategy: {
    prepareForCreate(o) {
      const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
      spec.minReplicas ??= 1;
      o.status = { currentReplicas: 0, desiredReplicas: 0 };
    },
    validate(o) {
      const spec = (isObject(o.spec) ? o.spec : {}) as JsonObject;
      const errors = replicaBoundErrors(spec);
      const target = spec.targetCPUUtilizationPercentage;
      if (target !== undefined && !(Number(target) >= 1))
        errors.push(fieldInvalid('spec.targetCPUUtilizationPercentage', target, 'must be greater than 0'));
      return errors;
    },
  },
});

/** minReplicas, maxReplicas and the target's name, checked alike in v1 and v2. */
function replicaBoundErrors(spec: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const min = Number(spec.minReplicas ?? 1);
  const max = Number(spec.maxReplicas);
  if (!(min >= 1))
    errors.push(fieldInvalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (!(max >= 1)) errors.push(fieldInvalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  else if (max < min)
    errors.push(fieldInvalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  if (!get(spec, 'scaleTargetRef', 'name')) errors.push(fieldRequired('spec.scaleTargetRef.name'));
  return errors;
}

// ---------------------------------------------------------------------------------------------
// core/v1 LimitRange and ResourceQuota

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

function validateQuantities(map: unknown, field: string): FieldError[] {
  if (!isObject(map)) return [];
  return Object.entries(map).flatMap(([k, v]) => {
    const problem = quantityProblem(v);
    if (problem) return [fieldInvalid(`${field}[${k}]`, v, problem)];
    if ((parseQuantity(v) ?? 0) < 0) return [fieldInvalid(`${field}[${k}]`, v, 'must be greater than or equal to 0')];
    return [];
  });
}

const limitRange = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  namespaced: true,
  shortNames: ['limits'],
  schema: objectFrame({
    spec: obj({
      limits: atomicList(
        obj(
          {
            type: str(),
            max: quantityMap(),
            min: quantityMap(),
            default: quantityMap(),
            defaultRequest: quantityMap(),
            maxLimitRequestRatio: quantityMap(),
          },
          { required: ['type'] },
        ),
      ),
    }),
  }),
  replaceColumns: true,
  columns: [
    NAME_COLUMN,
    { ...AGE_COLUMN, name: 'Created At', type: 'date', cell: (o) => o.metadata.creationTimestamp },
  ],
  strategy: {
    validate(o) {
      const errors: FieldError[] = [];
      list(get(o, 'spec', 'limits')).forEach((l, i) => {
        const at = `spec.limits[${i}]`;
        if (!LIMIT_TYPES.includes(String(l.type))) errors.push(fieldNotSupported(`${at}.type`, l.type, LIMIT_TYPES));
        for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'])
          errors.push(...validateQuantities(l[f], `${at}.${f}`));
        if (l.type === 'Pod' && (l.default !== undefined || l.defaultRequest !== undefined))
          errors.push(fieldForbidden(`${at}.default`, "may not be specified when `type` is 'Pod'"));
        for (const [name, max] of Object.entries((l.max as Record<string, string> | undefined) ?? {})) {
          const min = (l.min as Record<string, string> | undefined)?.[name];
          if (min !== undefined && (parseQuantity(min) ?? 0) > (parseQuantity(max) ?? 0))
            errors.push(fieldInvalid(`${at}.min[${name}]`, min, `min value ${min} is greater than max value ${max}`));
          for (const f of ['default', 'defaultRequest']) {
            const v = (l[f] as Record<string, string> | undefined)?.[name];
            if (v !== undefined && (parseQuantity(v) ?? 0) > (parseQuantity(max) ?? 0))
              errors.push(fieldInvalid(`${at}.${f}[${name}]`, v, `${f} value ${v} is greater than max value ${max}`));
          }
        }
      });
      return errors;
    },
  },
});

const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
];

/** "pods: 2/10, requests.cpu: 500m/2" as kubectl shows quota usage. */
function usageCell(o: KubeObject, prefix: 'requests' | 'limits' | 'other'): string {
  const hard = (get(o, 'status', 'hard') ?? get(o, 'spec', 'hard') ?? {}) as Record<string, string>;
  const used = (get(o, 'status', 'used') ?? {}) as Record<string, string>;
  const keys = Object.keys(hard)
    .filter((k) =>
      prefix === 'other'
        ? !k.startsWith('limits.')
        : prefix === 'requests'
          ? !k.startsWith('limits.')
          : k.startsWith('limits.'),
    )
    .sort();
  return keys.map((k) => `${k}: ${used[k] ?? '0'}/${hard[k]}`).join(', ');
}

export const resourceQuota = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  namespaced: true,
  shortNames: ['quota'],
  statusSubresource: true,
  schema: objectFrame({
    spec: obj({
      hard: quantityMap(),
      scopes: atomicList(str()),
      scopeSelector: obj({
        matchExpressions: atomicList(obj({ scopeName: str(), operator: str(), values: atomicList(str()) })),
      }),
    }),
    status: obj({ hard: quantityMap(), used: quantityMap() }),
  }),
  replaceColumns: true,
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('Request', (o) => usageCell(o, 'requests')),
    col('Limit', (o) => usageCell(o, 'limits')),
  ],
  strategy: {
    prepareForCreate(o) {
      o.status = {};
    },
    validate(o) {
      const errors = validateQuantities(get(o, 'spec', 'hard'), 'spec.hard');
      for (const [i, s] of list(get(o, 'spec', 'scopes')).entries())
        if (!QUOTA_SCOPES.includes(String(s))) errors.push(fieldNotSupported(`spec.scopes[${i}]`, s, QUOTA_SCOPES));
      return errors;
    },
  },
});

export const policyTypes: ResourceType[] = [
  limitRange,
  resourceQuota,
  ingress,
  ingressClass,
  networkPolicy,
  podDisruptionBudget,
  horizontalPodAutoscaler,
  horizontalPodAutoscalerV1,
];
