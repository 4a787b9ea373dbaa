// core/v1 kinds devcluster serves: Namespace, ConfigMap, Secret, Service, ServiceAccount, Event, Pod,
// Endpoints, Node. Schemas list the fields of the real API; strategies reproduce the server-side
// defaults and rules kubectl users see.
import { randomInt } from 'node:crypto';
import {
  fieldForbidden,
  fieldInvalid,
  fieldRequired,
  fieldNotSupported,
  invalid,
  type FieldError,
} from '../../api/errors.ts';
import { validateConfigKey } from '../../logic/names.ts';
import { setOwn } from '../../../security/index.ts';
import { isObject, deepEqual, type JsonObject } from '../../logic/schema.ts';
import { age, type PrinterColumn, type ResourceType, type StrategyContext } from '../resource-type.ts';
import type { KubeObject } from '../object-meta.ts';
import { objectFrame } from '../object-meta.ts';
import { atomicList, bool, int, intOrString, keyedList, obj, opaque, str, stringMap, time } from '../schema-dsl.ts';
import { defineBuiltin, get } from './define.ts';
import { defaultPodSpec, podSpecSchema, validatePodSpec } from './pod-spec.ts';

const col = (
  name: string,
  type: PrinterColumn['type'],
  cell: PrinterColumn['cell'],
  priority = 0,
  description = '',
): PrinterColumn => ({ name, type, cell, priority, description });

const conditionList = keyedList(
  obj(
    {
      type: str(),
      status: str(),
      lastProbeTime: time(),
      lastTransitionTime: time(),
      lastUpdateTime: time(),
      lastHeartbeatTime: time(),
      reason: str(),
      message: str(),
      observedGeneration: int(),
    },
    { required: ['type', 'status'] },
  ),
  ['type'],
);

export const objectReferenceSchema = obj(
  {
    kind: str(),
    namespace: str(),
    name: str(),
    uid: str(),
    apiVersion: str(),
    resourceVersion: str(),
    fieldPath: str(),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);

const namespace = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
  shortNames: ['ns'],
  nameRule: 'label',
  statusSubresource: true,
  schema: objectFrame({
    spec: obj({ finalizers: atomicList(str()) }),
    status: obj({ phase: str(), conditions: conditionList }),
  }),
  columns: [col('Status', 'string', (o) => get(o, 'status', 'phase'), 0, 'The status of the namespace')],
  fieldSelectors: { 'status.phase': (o) => String(get(o, 'status', 'phase') ?? '') },
  strategy: {
    prepareForCreate(o) {
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name! };
      o.spec = { finalizers: ['kubernetes'] };
      o.status = { phase: 'Active' };
    },
    prepareForUpdate(o, old) {
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name! };
      o.spec = old.spec;
    },
  },
  deleteReturnsObject: true,
});

function validateDataKeys(o: KubeObject, fields: string[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of fields) {
    const data = o[field];
    if (!isObject(data)) continue;
    for (const key of Object.keys(data)) errors.push(...validateConfigKey(`${field}[${key}]`, key));
  }
  const size = fields.reduce(
    (n, f) =>
      n +
      (isObject(o[f])
        ? Object.entries(o[f] as JsonObject).reduce((m, [k, v]) => m + k.length + String(v).length, 0)
        : 0),
    0,
  );
  if (size > 1024 * 1024)
    errors.push({ type: 'FieldValueTooLong', field: '', detail: `Too long: must have at most 1048576 bytes` });
  return errors;
}

function validateImmutable(o: KubeObject, old: KubeObject | undefined, fields: string[]): FieldError[] {
  if (old?.immutable !== true) return [];
  const errors: FieldError[] = [];
  if (o.immutable !== true) errors.push(fieldForbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields)
    if (!deepEqual(o[f] ?? {}, old[f] ?? {}))
      errors.push(fieldForbidden(f, 'field is immutable when `immutable` is set'));
  return errors;
}

const configMap = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  shortNames: ['cm'],
  schema: objectFrame({
    data: stringMap(),
    binaryData: { type: 'object', additionalProperties: str({ format: 'byte' }) },
    immutable: bool(),
  }),
  columns: [
    col(
      'Data',
      'integer',
      (o) => Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length,
    ),
  ],
  strategy: {
    validate: (o, old) => [
      ...validateDataKeys(o, ['data', 'binaryData']),
      ...validateImmutable(o, old, ['data', 'binaryData']),
    ],
  },
});

function foldStringData(o: KubeObject): void {
  if (isObject(o.stringData)) {
    const data = (isObject(o.data) ? o.data : {}) as Record<string, string>;
    for (const [k, v] of Object.entries(o.stringData))
      setOwn(data, k, Buffer.from(String(v), 'utf8').toString('base64'));
    o.data = data;
  }
  delete o.stringData;
}

const secret = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  schema: objectFrame({
    data: { type: 'object', additionalProperties: str({ format: 'byte' }) },
    stringData: stringMap(),
    type: str(),
    immutable: bool(),
  }),
  columns: [
    col('Type', 'string', (o) => o.type),
    col('Data', 'string', (o) => Object.keys((o.data as object) ?? {}).length),
  ],
  fieldSelectors: { type: (o) => String(o.type ?? '') },
  strategy: {
    prepareForCreate(o) {
      foldStringData(o);
      o.type ??= 'Opaque';
    },
    prepareForUpdate(o, old) {
      foldStringData(o);
      o.type ??= old.type ?? 'Opaque';
    },
    validate(o, old) {
      const errors = [...validateDataKeys(o, ['data']), ...validateImmutable(o, old, ['data'])];
      if (old && o.type !== old.type) errors.push(fieldInvalid('type', o.type, 'field is immutable'));
      return errors;
    },
  },
});

const servicePort = obj(
  {
    name: str(),
    protocol: str(),
    appProtocol: str(),
    port: int(),
    targetPort: intOrString(),
    nodePort: int(),
  },
  { required: ['port'] },
);

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

function servicePorts(o: KubeObject): JsonObject[] {
  const ports = get(o, 'spec', 'ports');
  return (Array.isArray(ports) ? ports : []).filter(isObject) as JsonObject[];
}

const service = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  nameRule: 'dns1035',
  statusSubresource: true,
  schema: objectFrame({
    spec: obj({
      ports: keyedList(servicePort, ['port', 'protocol']),
      selector: { ...stringMap(), 'x-kubernetes-map-type': 'atomic' },
      clusterIP: str(),
      clusterIPs: atomicList(str()),
      type: str(),
      externalIPs: atomicList(str()),
      sessionAffinity: str(),
      loadBalancerIP: str(),
      loadBalancerSourceRanges: atomicList(str()),
      externalName: str(),
      externalTrafficPolicy: str(),
      healthCheckNodePort: int(),
      publishNotReadyAddresses: bool(),
      sessionAffinityConfig: opaque(),
      ipFamilies: atomicList(str()),
      ipFamilyPolicy: str(),
      allocateLoadBalancerNodePorts: bool(),
      loadBalancerClass: str(),
      internalTrafficPolicy: str(),
      trafficDistribution: str(),
    }),
    status: obj({
      loadBalancer: obj({
        ingress: atomicList(obj({ ip: str(), hostname: str(), ipMode: str(), ports: atomicList(opaque()) })),
      }),
      conditions: conditionList,
    }),
  }),
  columns: [
    col('Type', 'string', (o) => get(o, 'spec', 'type')),
    col('Cluster-IP', 'string', (o) => get(o, 'spec', 'clusterIP') ?? '<none>'),
    col('External-IP', 'string', (o) => externalIP(o)),
    col('Port(s)', 'string', (o) => {
      const ports = servicePorts(o).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`);
      return ports.length ? ports.join(',') : '<none>';
    }),
  ],
  trailingColumns: [
    col(
      'Selector',
      'string',
      (o) => {
        const sel = get(o, 'spec', 'selector') as Record<string, string> | undefined;
        return sel && Object.keys(sel).length
          ? Object.entries(sel)
              .map(([k, v]) => `${k}=${v}`)
              .join(',')
          : '<none>';
      },
      1,
    ),
  ],
  strategy: {
    prepareForCreate(o, ctx) {
      const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
      spec.type ??= 'ClusterIP';
      if (spec.type !== 'ExternalName') {
        spec.sessionAffinity ??= 'None';
        if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = ctx.allocateClusterIP();
        spec.clusterIPs ??= [spec.clusterIP as string];
        if (spec.clusterIP !== 'None') {
          spec.ipFamilies ??= ['IPv4'];
          spec.ipFamilyPolicy ??= 'SingleStack';
        }
        spec.internalTrafficPolicy ??= 'Cluster';
      }
      if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') spec.externalTrafficPolicy ??= 'Cluster';
      if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
      for (const p of servicePorts(o)) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port ?? null;
      }
      assignNodePorts(o, undefined, ctx);
      o.status = { loadBalancer: {} };
    },
    prepareForUpdate(o, old, ctx) {
      const spec = (isObject(o.spec) ? o.spec : (o.spec = {})) as JsonObject;
      const oldSpec = (old.spec ?? {}) as JsonObject;
      spec.type ??= 'ClusterIP';
      if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName') {
        if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = oldSpec.clusterIP ?? null;
        if (spec.clusterIPs === undefined) spec.clusterIPs = oldSpec.clusterIPs ?? null;
        for (const k of ['ipFamilies', 'ipFamilyPolicy', 'sessionAffinity', 'internalTrafficPolicy'])
          spec[k] ??= oldSpec[k] ?? null;
        for (const k of Object.keys(spec)) if (spec[k] === null) delete spec[k];
      }
      for (const p of servicePorts(o)) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port ?? null;
      }
      assignNodePorts(o, old, ctx);
    },
    validate(o, old) {
      const errors: FieldError[] = [];
      const spec = (o.spec ?? {}) as JsonObject;
      if (!SERVICE_TYPES.includes(String(spec.type)))
        errors.push(fieldNotSupported('spec.type', spec.type, SERVICE_TYPES));
      const ports = servicePorts(o);
      if (spec.type !== 'ExternalName' && ports.length === 0 && spec.clusterIP !== 'None')
        errors.push(fieldRequired('spec.ports'));
      ports.forEach((p, i) => {
        if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535))
          errors.push(fieldInvalid(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
        if (ports.length > 1 && !p.name) errors.push(fieldRequired(`spec.ports[${i}].name`));
      });
      if (
        old &&
        (old.spec as JsonObject | undefined)?.clusterIP &&
        spec.clusterIP !== (old.spec as JsonObject).clusterIP &&
        spec.type !== 'ExternalName'
      ) {
        errors.push(fieldInvalid('spec.clusterIPs[0]', spec.clusterIP, 'may not change once set'));
      }
      return errors;
    },
  },
});

export const NODE_PORT_RANGE = [30000, 32767] as const;

function wantsNodePorts(spec: JsonObject): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/**
 * NodePort (and LoadBalancer) Services get a node port per port from 30000-32767, kept across
 * updates; a requested one must be in range and free. Other types hold none.
 */
function assignNodePorts(o: KubeObject, old: KubeObject | undefined, ctx: StrategyContext): void {
  const spec = (o.spec ?? {}) as JsonObject;
  const ports = servicePorts(o);
  if (!wantsNodePorts(spec)) {
    for (const p of ports) delete p.nodePort;
    return;
  }
  const previous = old ? servicePorts(old) : [];
  const taken = ctx.nodePortsInUse(old?.metadata.uid);
  const errors: FieldError[] = [];
  ports.forEach((p, i) => {
    if (p.nodePort === undefined) {
      const kept = previous.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === p.protocol)?.nodePort;
      if (typeof kept === 'number' && !taken.has(kept)) p.nodePort = kept;
    }
    if (p.nodePort === undefined) {
      const free = freeNodePort(taken);
      if (free === undefined)
        errors.push(fieldInvalid(`spec.ports[${i}].nodePort`, null, 'failed to allocate a nodePort: range is full'));
      else p.nodePort = free;
    } else if (typeof p.nodePort === 'number') {
      if (p.nodePort < NODE_PORT_RANGE[0] || p.nodePort > NODE_PORT_RANGE[1])
        errors.push(
          fieldInvalid(
            `spec.ports[${i}].nodePort`,
            p.nodePort,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE[0]}-` +
              `${NODE_PORT_RANGE[1]}`,
          ),
        );
      else if (taken.has(p.nodePort))
        errors.push(fieldInvalid(`spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated'));
    }
    if (typeof p.nodePort === 'number') taken.add(p.nodePort);
  });
  if (errors.length) throw invalid('Service', '', o.metadata.name ?? '', errors);
}

/**
 * A free node port, from a random place in the range as kube-apiserver's allocator does: two
 * clusters on one host (or a host process) seldom want the same one.
 */
function freeNodePort(taken: Set<number>): number | undefined {
  const size = NODE_PORT_RANGE[1] - NODE_PORT_RANGE[0] + 1;
  const start = randomInt(size);
  for (let i = 0; i < size; i++) {
    const port = NODE_PORT_RANGE[0] + ((start + i) % size);
    if (!taken.has(port)) return port;
  }
  return undefined;
}

function externalIP(o: KubeObject): string {
  const type = get(o, 'spec', 'type');
  if (type === 'ExternalName') return String(get(o, 'spec', 'externalName') ?? '<none>');
  const ingress = get(o, 'status', 'loadBalancer', 'ingress');
  const ips = (Array.isArray(ingress) ? ingress : [])
    .map((i) => (i as JsonObject).ip ?? (i as JsonObject).hostname)
    .filter(Boolean);
  const external = (get(o, 'spec', 'externalIPs') as string[] | undefined) ?? [];
  const all = [...ips, ...external];
  if (all.length) return all.join(',');
  return type === 'LoadBalancer' ? '<pending>' : '<none>';
}

const serviceAccount = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  namespaced: true,
  shortNames: ['sa'],
  schema: objectFrame({
    secrets: keyedList({ ...obj({ name: str() }), 'x-kubernetes-preserve-unknown-fields': true }, ['name']),
    imagePullSecrets: atomicList(obj({ name: str() })),
    automountServiceAccountToken: bool(),
  }),
  columns: [col('Secrets', 'integer', (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0))],
});

const coreEventSchema = objectFrame(
  {
    involvedObject: objectReferenceSchema,
    reason: str(),
    message: str(),
    source: obj({ component: str(), host: str() }),
    firstTimestamp: time(),
    lastTimestamp: time(),
    count: int(),
    type: str(),
    eventTime: time(),
    series: obj({ count: int(), lastObservedTime: time() }),
    action: str(),
    related: objectReferenceSchema,
    reportingComponent: str(),
    reportingInstance: str(),
  },
  { required: ['involvedObject'] },
);

export const eventFieldSelectors: ResourceType['fieldSelectors'] = {
  'involvedObject.kind': (o) => String(get(o, 'involvedObject', 'kind') ?? ''),
  'involvedObject.namespace': (o) => String(get(o, 'involvedObject', 'namespace') ?? ''),
  'involvedObject.name': (o) => String(get(o, 'involvedObject', 'name') ?? ''),
  'involvedObject.uid': (o) => String(get(o, 'involvedObject', 'uid') ?? ''),
  'involvedObject.apiVersion': (o) => String(get(o, 'involvedObject', 'apiVersion') ?? ''),
  'involvedObject.resourceVersion': (o) => String(get(o, 'involvedObject', 'resourceVersion') ?? ''),
  'involvedObject.fieldPath': (o) => String(get(o, 'involvedObject', 'fieldPath') ?? ''),
  reason: (o) => String(o.reason ?? ''),
  reportingComponent: (o) => String(o.reportingComponent ?? ''),
  source: (o) => String(get(o, 'source', 'component') ?? o.reportingComponent ?? ''),
  type: (o) => String(o.type ?? ''),
};

const coreEvent = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
  shortNames: ['ev'],
  nameRule: 'path-segment',
  schema: coreEventSchema,
  replaceColumns: true,
  columns: [
    col('Last Seen', 'string', (o, now) =>
      age(
        String(o.lastTimestamp ?? get(o, 'series', 'lastObservedTime') ?? o.eventTime ?? o.metadata.creationTimestamp),
        now,
      ),
    ),
    col('Type', 'string', (o) => o.type),
    col('Reason', 'string', (o) => o.reason),
    col(
      'Object',
      'string',
      (o) =>
        `${String(get(o, 'involvedObject', 'kind') ?? '').toLowerCase()}/${get(o, 'involvedObject', 'name') ?? ''}`,
    ),
    col('Subobject', 'string', (o) => get(o, 'involvedObject', 'fieldPath') ?? '', 1),
    col('Source', 'string', (o) => get(o, 'source', 'component') ?? o.reportingComponent ?? '', 1),
    col('Message', 'string', (o) => o.message),
    col(
      'First Seen',
      'string',
      (o, now) => age(String(o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp), now),
      1,
    ),
    col('Count', 'string', (o) => o.count ?? get(o, 'series', 'count') ?? 1, 1),
    col('Name', 'string', (o) => o.metadata.name, 1),
  ],
  fieldSelectors: eventFieldSelectors,
});

function podReadiness(o: KubeObject): string {
  const containers = (get(o, 'spec', 'containers') as unknown[] | undefined) ?? [];
  const statuses = (get(o, 'status', 'containerStatuses') as JsonObject[] | undefined) ?? [];
  return `${statuses.filter((s) => s.ready === true).length}/${containers.length}`;
}

function podStatusCell(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const statuses = (get(o, 'status', 'containerStatuses') as JsonObject[] | undefined) ?? [];
  for (const s of statuses) {
    const waiting = get(s, 'state', 'waiting', 'reason');
    if (waiting) return String(waiting);
  }
  // finished containers show how they ended, as kubectl's printer does ("Completed", "Error")
  const terminated = statuses.map((s) => get(s, 'state', 'terminated') as JsonObject | undefined);
  if (terminated.length && terminated.every(Boolean)) {
    const last = terminated[terminated.length - 1]!;
    if (last.reason) return String(last.reason);
    return last.signal ? `Signal:${last.signal}` : `ExitCode:${last.exitCode}`;
  }
  return String(get(o, 'status', 'reason') ?? get(o, 'status', 'phase') ?? 'Pending');
}

const pod = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  statusSubresource: true,
  schema: objectFrame({
    spec: podSpecSchema,
    status: obj(
      { phase: str(), conditions: conditionList, podIP: str(), podIPs: keyedList(obj({ ip: str() }), ['ip']) },
      { 'x-kubernetes-preserve-unknown-fields': true },
    ),
  }),
  columns: [
    col('Ready', 'string', podReadiness),
    col('Status', 'string', podStatusCell),
    col('Restarts', 'string', (o) =>
      ((get(o, 'status', 'containerStatuses') as JsonObject[] | undefined) ?? []).reduce(
        (n, s) => n + Number(s.restartCount ?? 0),
        0,
      ),
    ),
  ],
  trailingColumns: [
    col('IP', 'string', (o) => get(o, 'status', 'podIP') ?? '<none>', 1),
    col('Node', 'string', (o) => get(o, 'spec', 'nodeName') ?? '<none>', 1),
    col('Nominated Node', 'string', () => '<none>', 1),
    col('Readiness Gates', 'string', () => '<none>', 1),
  ],
  fieldSelectors: {
    'spec.nodeName': (o) => String(get(o, 'spec', 'nodeName') ?? ''),
    'spec.restartPolicy': (o) => String(get(o, 'spec', 'restartPolicy') ?? ''),
    'spec.schedulerName': (o) => String(get(o, 'spec', 'schedulerName') ?? ''),
    'spec.serviceAccountName': (o) => String(get(o, 'spec', 'serviceAccountName') ?? ''),
    'status.phase': (o) => String(get(o, 'status', 'phase') ?? ''),
    'status.podIP': (o) => String(get(o, 'status', 'podIP') ?? ''),
  },
  deleteReturnsObject: true,
  strategy: {
    gracePeriodSeconds(o, requested) {
      // unscheduled pods go at once; scheduled ones wait for their node to stop them
      if (!get(o, 'spec', 'nodeName')) return 0;
      return requested ?? Number(get(o, 'spec', 'terminationGracePeriodSeconds') ?? 30);
    },
    prepareForCreate(o) {
      if (isObject(o.spec)) defaultPodSpec(o.spec);
      o.status = { phase: 'Pending', qosClass: 'BestEffort' };
    },
    prepareForUpdate(o) {
      if (isObject(o.spec)) defaultPodSpec(o.spec);
    },
    validate(o, old) {
      const errors = validatePodSpec(o.spec, 'spec');
      if (old && !deepEqual(get(o, 'spec', 'containers'), get(old, 'spec', 'containers'))) {
        const images = (c: unknown) => ((c as JsonObject[] | undefined) ?? []).map((x) => ({ ...x, image: undefined }));
        if (!deepEqual(images(get(o, 'spec', 'containers')), images(get(old, 'spec', 'containers')))) {
          errors.push(
            fieldForbidden(
              'spec',
              'pod updates may not change fields other than `spec.containers[*].image`, ' +
                '`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only ' +
                'additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be ' +
                'set to 1 if it was previously negative)',
            ),
          );
        }
      }
      return errors;
    },
  },
});

const endpoints = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  singular: 'endpoints',
  schema: objectFrame({
    subsets: atomicList(
      obj({
        addresses: atomicList(obj({ ip: str(), hostname: str(), nodeName: str(), targetRef: objectReferenceSchema })),
        notReadyAddresses: atomicList(
          obj({ ip: str(), hostname: str(), nodeName: str(), targetRef: objectReferenceSchema }),
        ),
        ports: atomicList(obj({ name: str(), port: int(), protocol: str(), appProtocol: str() })),
      }),
    ),
  }),
  columns: [
    col('Endpoints', 'string', (o) => {
      const out: string[] = [];
      for (const s of (o.subsets as JsonObject[] | undefined) ?? []) {
        for (const a of (s.addresses as JsonObject[] | undefined) ?? [])
          for (const p of (s.ports as JsonObject[] | undefined) ?? [{ port: null }])
            out.push(p.port ? `${a.ip}:${p.port}` : String(a.ip));
      }
      return out.length ? out.join(',') : '<none>';
    }),
  ],
});

const node = defineBuiltin({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
  shortNames: ['no'],
  statusSubresource: true,
  schema: objectFrame({
    spec: opaque(),
    status: { ...obj({ conditions: conditionList }), 'x-kubernetes-preserve-unknown-fields': true },
  }),
  columns: [
    col('Status', 'string', (o) => {
      const ready = ((get(o, 'status', 'conditions') as JsonObject[] | undefined) ?? []).find(
        (c) => c.type === 'Ready',
      );
      return ready?.status === 'True' ? 'Ready' : 'NotReady';
    }),
    col(
      'Roles',
      'string',
      (o) =>
        Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice(24))
          .join(',') || '<none>',
    ),
  ],
  trailingColumns: [
    col('Version', 'string', (o) => get(o, 'status', 'nodeInfo', 'kubeletVersion') ?? ''),
    col(
      'Internal-IP',
      'string',
      (o) =>
        ((get(o, 'status', 'addresses') as JsonObject[] | undefined) ?? []).find((a) => a.type === 'InternalIP')
          ?.address ?? '<none>',
      1,
    ),
  ],
});

export const coreTypes: ResourceType[] = [
  namespace,
  configMap,
  secret,
  service,
  serviceAccount,
  coreEvent,
  pod,
  endpoints,
  node,
];
