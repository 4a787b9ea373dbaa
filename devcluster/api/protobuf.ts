// Decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) that kubectl's typed clients
// send for built-in kinds (`kubectl create namespace|configmap|secret|service|deployment|...`,
// `kubectl run`). devcluster answers in JSON; only request bodies need decoding. The message table
// below lists the fields of the wire format (k8s.io/api generated.proto field numbers) for the kinds
// those commands create; unknown fields are skipped.
import { setOwn } from '../../security/index.ts';
import { badRequest } from './errors.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/**
 * A field: [jsonName, type, flags]. Types are scalars, 'bytes' (base64 in JSON), a message name,
 * 'map:<valueType>' (string keys) or special well-known types. Flags: r = repeated, p = pointer
 * (a zero value was set on purpose and is kept), i = inline (an embedded struct whose fields belong
 * to the parent in JSON).
 */
type Field = [name: string, type: string, flags?: string];
type Message = Record<number, Field>;

const MESSAGES: Record<string, Message> = {
  Unknown: {
    1: ['typeMeta', 'TypeMeta'],
    2: ['raw', 'raw-bytes'],
    3: ['contentEncoding', 'string'],
    4: ['contentType', 'string'],
  },
  TypeMeta: { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] },
  ObjectMeta: {
    1: ['name', 'string'],
    2: ['generateName', 'string'],
    3: ['namespace', 'string'],
    4: ['selfLink', 'string'],
    5: ['uid', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['generation', 'int64'],
    8: ['creationTimestamp', 'Time'],
    9: ['deletionTimestamp', 'Time'],
    10: ['deletionGracePeriodSeconds', 'int64', 'p'],
    11: ['labels', 'map:string'],
    12: ['annotations', 'map:string'],
    13: ['ownerReferences', 'OwnerReference', 'r'],
    14: ['finalizers', 'string', 'r'],
  },
  OwnerReference: {
    1: ['kind', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
    5: ['apiVersion', 'string'],
    6: ['controller', 'bool', 'p'],
    7: ['blockOwnerDeletion', 'bool', 'p'],
  },
  LabelSelector: { 1: ['matchLabels', 'map:string'], 2: ['matchExpressions', 'LabelSelectorRequirement', 'r'] },
  LabelSelectorRequirement: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', 'r'] },

  Namespace: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'NamespaceSpec'], 3: ['status', 'Ignored'] },
  NamespaceSpec: { 1: ['finalizers', 'string', 'r'] },
  ConfigMap: {
    1: ['metadata', 'ObjectMeta'],
    2: ['data', 'map:string'],
    3: ['binaryData', 'map:bytes'],
    4: ['immutable', 'bool', 'p'],
  },
  Secret: {
    1: ['metadata', 'ObjectMeta'],
    2: ['data', 'map:bytes'],
    3: ['type', 'string'],
    4: ['stringData', 'map:string'],
    5: ['immutable', 'bool', 'p'],
  },
  ServiceAccount: {
    1: ['metadata', 'ObjectMeta'],
    2: ['secrets', 'ObjectReference', 'r'],
    3: ['imagePullSecrets', 'LocalObjectReference', 'r'],
    4: ['automountServiceAccountToken', 'bool', 'p'],
  },
  ObjectReference: {
    1: ['kind', 'string'],
    2: ['namespace', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
    5: ['apiVersion', 'string'],
    6: ['resourceVersion', 'string'],
    7: ['fieldPath', 'string'],
  },
  LocalObjectReference: { 1: ['name', 'string'] },
  Service: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'ServiceSpec'], 3: ['status', 'Ignored'] },
  ServiceSpec: {
    1: ['ports', 'ServicePort', 'r'],
    2: ['selector', 'map:string'],
    3: ['clusterIP', 'string'],
    4: ['type', 'string'],
    5: ['externalIPs', 'string', 'r'],
    7: ['sessionAffinity', 'string'],
    8: ['loadBalancerIP', 'string'],
    9: ['loadBalancerSourceRanges', 'string', 'r'],
    10: ['externalName', 'string'],
    11: ['externalTrafficPolicy', 'string'],
    12: ['healthCheckNodePort', 'int32'],
    13: ['publishNotReadyAddresses', 'bool'],
    17: ['ipFamilyPolicy', 'string', 'p'],
    18: ['clusterIPs', 'string', 'r'],
    19: ['ipFamilies', 'string', 'r'],
    20: ['allocateLoadBalancerNodePorts', 'bool', 'p'],
    21: ['loadBalancerClass', 'string', 'p'],
    22: ['internalTrafficPolicy', 'string', 'p'],
    23: ['trafficDistribution', 'string', 'p'],
  },
  ServicePort: {
    1: ['name', 'string'],
    2: ['protocol', 'string'],
    3: ['port', 'int32'],
    4: ['targetPort', 'IntOrString'],
    5: ['nodePort', 'int32'],
    6: ['appProtocol', 'string', 'p'],
  },

  Pod: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'PodSpec'], 3: ['status', 'Ignored'] },
  PodTemplateSpec: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'PodSpec'] },
  PodSpec: {
    1: ['volumes', 'Volume', 'r'],
    2: ['containers', 'Container', 'r'],
    3: ['restartPolicy', 'string'],
    4: ['terminationGracePeriodSeconds', 'int64', 'p'],
    5: ['activeDeadlineSeconds', 'int64', 'p'],
    6: ['dnsPolicy', 'string'],
    7: ['nodeSelector', 'map:string'],
    8: ['serviceAccountName', 'string'],
    9: ['serviceAccount', 'string'],
    10: ['nodeName', 'string'],
    11: ['hostNetwork', 'bool'],
    12: ['hostPID', 'bool'],
    13: ['hostIPC', 'bool'],
    15: ['imagePullSecrets', 'LocalObjectReference', 'r'],
    16: ['hostname', 'string'],
    17: ['subdomain', 'string'],
    19: ['schedulerName', 'string'],
    20: ['initContainers', 'Container', 'r'],
    21: ['automountServiceAccountToken', 'bool', 'p'],
    24: ['priorityClassName', 'string'],
    25: ['priority', 'int32', 'p'],
    27: ['shareProcessNamespace', 'bool', 'p'],
    29: ['runtimeClassName', 'string', 'p'],
    30: ['enableServiceLinks', 'bool', 'p'],
    31: ['preemptionPolicy', 'string', 'p'],
    35: ['setHostnameAsFQDN', 'bool', 'p'],
    37: ['hostUsers', 'bool', 'p'],
  },
  Container: {
    1: ['name', 'string'],
    2: ['image', 'string'],
    3: ['command', 'string', 'r'],
    4: ['args', 'string', 'r'],
    5: ['workingDir', 'string'],
    6: ['ports', 'ContainerPort', 'r'],
    7: ['env', 'EnvVar', 'r'],
    8: ['resources', 'ResourceRequirements'],
    9: ['volumeMounts', 'VolumeMount', 'r'],
    10: ['livenessProbe', 'Probe'],
    11: ['readinessProbe', 'Probe'],
    13: ['terminationMessagePath', 'string'],
    14: ['imagePullPolicy', 'string'],
    16: ['stdin', 'bool'],
    17: ['stdinOnce', 'bool'],
    18: ['tty', 'bool'],
    19: ['envFrom', 'EnvFromSource', 'r'],
    20: ['terminationMessagePolicy', 'string'],
    22: ['startupProbe', 'Probe'],
    24: ['restartPolicy', 'string', 'p'],
  },
  ContainerPort: {
    1: ['name', 'string'],
    2: ['hostPort', 'int32'],
    3: ['containerPort', 'int32'],
    4: ['protocol', 'string'],
    5: ['hostIP', 'string'],
  },
  EnvVar: { 1: ['name', 'string'], 2: ['value', 'string'], 3: ['valueFrom', 'EnvVarSource'] },
  EnvVarSource: {
    1: ['fieldRef', 'ObjectFieldSelector'],
    3: ['configMapKeyRef', 'KeySelector'],
    4: ['secretKeyRef', 'KeySelector'],
  },
  ObjectFieldSelector: { 1: ['apiVersion', 'string'], 2: ['fieldPath', 'string'] },
  KeySelector: { 1: ['', 'LocalObjectReference', 'i'], 2: ['key', 'string'], 3: ['optional', 'bool', 'p'] },
  EnvFromSource: { 1: ['prefix', 'string'], 2: ['configMapRef', 'EnvSource'], 3: ['secretRef', 'EnvSource'] },
  EnvSource: { 1: ['', 'LocalObjectReference', 'i'], 2: ['optional', 'bool', 'p'] },
  ResourceRequirements: { 1: ['limits', 'map:Quantity'], 2: ['requests', 'map:Quantity'] },
  VolumeMount: {
    1: ['name', 'string'],
    2: ['readOnly', 'bool'],
    3: ['mountPath', 'string'],
    4: ['subPath', 'string'],
    5: ['mountPropagation', 'string', 'p'],
    6: ['subPathExpr', 'string'],
  },
  Volume: { 1: ['name', 'string'], 2: ['', 'VolumeSource', 'i'] },
  VolumeSource: {
    2: ['emptyDir', 'EmptyDirVolumeSource'],
    6: ['secret', 'SecretVolumeSource'],
    19: ['configMap', 'ConfigMapVolumeSource'],
  },
  EmptyDirVolumeSource: { 1: ['medium', 'string'], 2: ['sizeLimit', 'Quantity'] },
  SecretVolumeSource: {
    1: ['secretName', 'string'],
    2: ['items', 'KeyToPath', 'r'],
    3: ['defaultMode', 'int32', 'p'],
    4: ['optional', 'bool', 'p'],
  },
  ConfigMapVolumeSource: {
    1: ['', 'LocalObjectReference', 'i'],
    2: ['items', 'KeyToPath', 'r'],
    3: ['defaultMode', 'int32', 'p'],
    4: ['optional', 'bool', 'p'],
  },
  KeyToPath: { 1: ['key', 'string'], 2: ['path', 'string'], 3: ['mode', 'int32', 'p'] },
  Probe: {
    1: ['', 'ProbeHandler', 'i'],
    2: ['initialDelaySeconds', 'int32'],
    3: ['timeoutSeconds', 'int32'],
    4: ['periodSeconds', 'int32'],
    5: ['successThreshold', 'int32'],
    6: ['failureThreshold', 'int32'],
    7: ['terminationGracePeriodSeconds', 'int64', 'p'],
  },
  ProbeHandler: { 1: ['exec', 'ExecAction'], 2: ['httpGet', 'HTTPGetAction'], 3: ['tcpSocket', 'TCPSocketAction'] },
  ExecAction: { 1: ['command', 'string', 'r'] },
  HTTPGetAction: {
    1: ['path', 'string'],
    2: ['port', 'IntOrString'],
    3: ['host', 'string'],
    4: ['scheme', 'string'],
    5: ['httpHeaders', 'HTTPHeader', 'r'],
  },
  HTTPHeader: { 1: ['name', 'string'], 2: ['value', 'string'] },
  TCPSocketAction: { 1: ['port', 'IntOrString'], 2: ['host', 'string'] },

  Deployment: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'DeploymentSpec'], 3: ['status', 'Ignored'] },
  DeploymentSpec: {
    1: ['replicas', 'int32', 'p'],
    2: ['selector', 'LabelSelector'],
    3: ['template', 'PodTemplateSpec'],
    4: ['strategy', 'DeploymentStrategy'],
    5: ['minReadySeconds', 'int32'],
    6: ['revisionHistoryLimit', 'int32', 'p'],
    7: ['paused', 'bool'],
    9: ['progressDeadlineSeconds', 'int32', 'p'],
  },
  DeploymentStrategy: { 1: ['type', 'string'], 2: ['rollingUpdate', 'RollingUpdateDeployment'] },
  RollingUpdateDeployment: { 1: ['maxUnavailable', 'IntOrString'], 2: ['maxSurge', 'IntOrString'] },

  Job: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'JobSpec'], 3: ['status', 'Ignored'] },
  JobSpec: {
    1: ['parallelism', 'int32', 'p'],
    2: ['completions', 'int32', 'p'],
    3: ['activeDeadlineSeconds', 'int64', 'p'],
    4: ['selector', 'LabelSelector'],
    5: ['manualSelector', 'bool', 'p'],
    6: ['template', 'PodTemplateSpec'],
    7: ['backoffLimit', 'int32', 'p'],
    8: ['ttlSecondsAfterFinished', 'int32', 'p'],
    9: ['completionMode', 'string', 'p'],
    10: ['suspend', 'bool', 'p'],
  },
  JobTemplateSpec: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'JobSpec'] },
  CronJob: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'CronJobSpec'], 3: ['status', 'Ignored'] },
  CronJobSpec: {
    1: ['schedule', 'string'],
    2: ['startingDeadlineSeconds', 'int64', 'p'],
    3: ['concurrencyPolicy', 'string'],
    4: ['suspend', 'bool', 'p'],
    5: ['jobTemplate', 'JobTemplateSpec'],
    6: ['successfulJobsHistoryLimit', 'int32', 'p'],
    7: ['failedJobsHistoryLimit', 'int32', 'p'],
    8: ['timeZone', 'string', 'p'],
  },
  Ingress: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'IngressSpec'], 3: ['status', 'Ignored'] },
  IngressSpec: {
    1: ['defaultBackend', 'IngressBackend'],
    2: ['tls', 'IngressTLS', 'r'],
    3: ['rules', 'IngressRule', 'r'],
    4: ['ingressClassName', 'string', 'p'],
  },
  IngressBackend: { 3: ['resource', 'TypedLocalObjectReference'], 4: ['service', 'IngressServiceBackend'] },
  TypedLocalObjectReference: { 1: ['apiGroup', 'string', 'p'], 2: ['kind', 'string'], 3: ['name', 'string'] },
  IngressServiceBackend: { 1: ['name', 'string'], 2: ['port', 'ServiceBackendPort'] },
  ServiceBackendPort: { 1: ['name', 'string'], 2: ['number', 'int32'] },
  IngressTLS: { 1: ['hosts', 'string', 'r'], 2: ['secretName', 'string'] },
  IngressRule: { 1: ['host', 'string'], 2: ['', 'IngressRuleValue', 'i'] },
  IngressRuleValue: { 1: ['http', 'HTTPIngressRuleValue'] },
  HTTPIngressRuleValue: { 1: ['paths', 'HTTPIngressPath', 'r'] },
  HTTPIngressPath: { 1: ['path', 'string'], 2: ['backend', 'IngressBackend'], 3: ['pathType', 'string', 'p'] },
  PodDisruptionBudget: {
    1: ['metadata', 'ObjectMeta'],
    2: ['spec', 'PodDisruptionBudgetSpec'],
    3: ['status', 'Ignored'],
  },
  PodDisruptionBudgetSpec: {
    1: ['minAvailable', 'IntOrString'],
    2: ['selector', 'LabelSelector'],
    3: ['maxUnavailable', 'IntOrString'],
    4: ['unhealthyPodEvictionPolicy', 'string', 'p'],
  },
  ResourceQuota: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'ResourceQuotaSpec'], 3: ['status', 'Ignored'] },
  // autoscaling/v1, as `kubectl autoscale` sends it
  HorizontalPodAutoscaler: {
    1: ['metadata', 'ObjectMeta'],
    2: ['spec', 'HorizontalPodAutoscalerSpec'],
    3: ['status', 'Ignored'],
  },
  HorizontalPodAutoscalerSpec: {
    1: ['scaleTargetRef', 'CrossVersionObjectReference'],
    2: ['minReplicas', 'int32', 'p'],
    3: ['maxReplicas', 'int32'],
    4: ['targetCPUUtilizationPercentage', 'int32', 'p'],
  },
  CrossVersionObjectReference: { 1: ['kind', 'string'], 2: ['name', 'string'], 3: ['apiVersion', 'string'] },
  ResourceQuotaSpec: { 1: ['hard', 'map:Quantity'], 2: ['scopes', 'string', 'r'] },

  Role: { 1: ['metadata', 'ObjectMeta'], 2: ['rules', 'PolicyRule', 'r'] },
  ClusterRole: {
    1: ['metadata', 'ObjectMeta'],
    2: ['rules', 'PolicyRule', 'r'],
    3: ['aggregationRule', 'AggregationRule'],
  },
  AggregationRule: { 1: ['clusterRoleSelectors', 'LabelSelector', 'r'] },
  PolicyRule: {
    1: ['verbs', 'string', 'r'],
    2: ['apiGroups', 'string', 'r'],
    3: ['resources', 'string', 'r'],
    4: ['resourceNames', 'string', 'r'],
    5: ['nonResourceURLs', 'string', 'r'],
  },
  RoleBinding: { 1: ['metadata', 'ObjectMeta'], 2: ['subjects', 'Subject', 'r'], 3: ['roleRef', 'RoleRef'] },
  ClusterRoleBinding: { 1: ['metadata', 'ObjectMeta'], 2: ['subjects', 'Subject', 'r'], 3: ['roleRef', 'RoleRef'] },
  Subject: { 1: ['kind', 'string'], 2: ['apiGroup', 'string'], 3: ['name', 'string'], 4: ['namespace', 'string'] },
  RoleRef: { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] },

  SelfSubjectAccessReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SelfSubjectAccessReviewSpec'] },
  SelfSubjectAccessReviewSpec: {
    1: ['resourceAttributes', 'ResourceAttributes'],
    2: ['nonResourceAttributes', 'NonResourceAttributes'],
  },
  ResourceAttributes: {
    1: ['namespace', 'string'],
    2: ['verb', 'string'],
    3: ['group', 'string'],
    4: ['version', 'string'],
    5: ['resource', 'string'],
    6: ['subresource', 'string'],
    7: ['name', 'string'],
  },
  NonResourceAttributes: { 1: ['path', 'string'], 2: ['verb', 'string'] },
  SubjectAccessReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SubjectAccessReviewSpec'] },
  SubjectAccessReviewSpec: {
    1: ['resourceAttributes', 'ResourceAttributes'],
    2: ['nonResourceAttributes', 'NonResourceAttributes'],
    3: ['user', 'string'],
    4: ['groups', 'string', 'r'],
    6: ['uid', 'string'],
  },
  SelfSubjectRulesReview: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'SelfSubjectRulesReviewSpec'] },
  SelfSubjectRulesReviewSpec: { 1: ['namespace', 'string'] },
  TokenRequest: { 1: ['metadata', 'ObjectMeta'], 2: ['spec', 'TokenRequestSpec'] },
  TokenRequestSpec: {
    1: ['audiences', 'string', 'r'],
    3: ['boundObjectRef', 'BoundObjectReference'],
    4: ['expirationSeconds', 'int64', 'p'],
  },
  BoundObjectReference: {
    1: ['kind', 'string'],
    2: ['apiVersion', 'string'],
    3: ['name', 'string'],
    4: ['uid', 'string'],
  },
  SelfSubjectReview: { 1: ['metadata', 'ObjectMeta'] },

  DeleteOptions: {
    1: ['gracePeriodSeconds', 'int64', 'p'],
    2: ['preconditions', 'Preconditions'],
    3: ['orphanDependents', 'bool', 'p'],
    4: ['propagationPolicy', 'string', 'p'],
    5: ['dryRun', 'string', 'r'],
  },
  Preconditions: { 1: ['uid', 'string', 'p'], 2: ['resourceVersion', 'string', 'p'] },
};

/** The top-level kinds this decoder understands, by apiVersion/kind. */
const TOP_LEVEL: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Secret': 'Secret',
  'v1/ServiceAccount': 'ServiceAccount',
  'v1/Service': 'Service',
  'v1/Pod': 'Pod',
  'apps/v1/Deployment': 'Deployment',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'networking.k8s.io/v1/Ingress': 'Ingress',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'v1/ResourceQuota': 'ResourceQuota',
  'autoscaling/v1/HorizontalPodAutoscaler': 'HorizontalPodAutoscaler',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'v1/DeleteOptions': 'DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
};

function isKubernetesProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

/** The JSON object a protobuf-encoded request body stands for. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (!isKubernetesProtobuf(body))
    throw badRequest('the protobuf body does not start with the Kubernetes envelope magic "k8s\\0"');
  const envelope = decodeMessage(new Reader(body.subarray(4)), 'Unknown');
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const message = TOP_LEVEL[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!message) {
    throw new ProtobufUnsupported(
      `devcluster cannot decode ${typeMeta.kind ?? 'this kind'} (${typeMeta.apiVersion ?? '?'}) from ` +
        `protobuf; send it as JSON or YAML (kubectl apply/create -f do)`,
    );
  }
  const raw = envelope.raw instanceof Buffer ? envelope.raw : Buffer.alloc(0);
  const object = decodeMessage(new Reader(raw), message);
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...object };
}

export class ProtobufUnsupported extends Error {}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw badRequest('truncated protobuf body (varint runs past the end)');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw badRequest('malformed protobuf body (varint too long)');
    }
  }
  bytes(): Buffer {
    const length = Number(this.varint());
    if (this.pos + length > this.buf.length) throw badRequest('truncated protobuf body (field runs past the end)');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw badRequest(`malformed protobuf body (wire type ${wireType})`);
  }
}

function decodeMessage(reader: Reader, messageName: string): Record<string, unknown> {
  const spec = MESSAGES[messageName];
  const out: Record<string, unknown> = {};
  while (!reader.done()) {
    const key = Number(reader.varint());
    const fieldNumber = key >>> 3;
    const wireType = key & 7;
    const field = spec?.[fieldNumber];
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    const [name, type, flags = ''] = field;
    const value = decodeValue(reader, wireType, type);
    if (flags.includes('i')) {
      Object.assign(out, value as object);
      continue;
    }
    if (type.startsWith('map:')) {
      const entry = value as { key: string; value: unknown };
      const map = (out[name] ??= {}) as Record<string, unknown>;
      setOwn(map, entry.key, entry.value);
      continue;
    }
    if (flags.includes('r')) {
      ((out[name] ??= []) as unknown[]).push(value);
      continue;
    }
    if (!flags.includes('p') && isZero(value)) continue;
    out[name] = value;
  }
  return out;
}

/** Go's generated marshallers write non-pointer fields even when zero; JSON would have omitted them. */
function isZero(v: unknown): boolean {
  return (
    v === '' ||
    v === 0 ||
    v === false ||
    v === undefined ||
    (typeof v === 'object' && v !== null && !(v instanceof Buffer) && Object.keys(v).length === 0)
  );
}

function decodeValue(reader: Reader, wireType: number, type: string): unknown {
  switch (type) {
    case 'string':
      return reader.bytes().toString('utf8');
    case 'bytes':
      return reader.bytes().toString('base64');
    case 'raw-bytes':
      return Buffer.from(reader.bytes());
    case 'bool':
      return reader.varint() !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, reader.varint()));
    case 'int64':
      return Number(BigInt.asIntN(64, reader.varint()));
    case 'Quantity':
      return String(decodeMessage(new Reader(reader.bytes()), 'QuantityMessage').string ?? '');
    case 'Time':
      return decodeTime(reader.bytes());
    case 'IntOrString': {
      const m = decodeMessage(new Reader(reader.bytes()), 'IntOrStringMessage');
      return Number(m.type ?? 0) === 1 ? String(m.strVal ?? '') : Number(m.intVal ?? 0);
    }
    case 'Ignored':
      reader.skip(wireType);
      return undefined;
    default:
      if (type.startsWith('map:')) {
        const entry = decodeMessage(new Reader(reader.bytes()), `Map:${type.slice(4)}`);
        return { key: entry.key ?? '', value: entry.value ?? (type === 'map:Quantity' ? '0' : '') };
      }
      return decodeMessage(new Reader(reader.bytes()), type);
  }
}

function decodeTime(buf: Buffer): string {
  const m = decodeMessage(new Reader(buf), 'TimeMessage');
  // Go writes a zero Time (an unset timestamp) too: it stays unset
  if (!m.seconds && !m.nanos) return '';
  return new Date(Number(m.seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
}

// well-known helper messages
MESSAGES.QuantityMessage = { 1: ['string', 'string'] };
MESSAGES.IntOrStringMessage = { 1: ['type', 'int64'], 2: ['intVal', 'int32'], 3: ['strVal', 'string'] };
MESSAGES.TimeMessage = { 1: ['seconds', 'int64'], 2: ['nanos', 'int32'] };
MESSAGES['Map:string'] = { 1: ['key', 'string'], 2: ['value', 'string'] };
MESSAGES['Map:bytes'] = { 1: ['key', 'string'], 2: ['value', 'bytes'] };
MESSAGES['Map:Quantity'] = { 1: ['key', 'string'], 2: ['value', 'Quantity'] };
