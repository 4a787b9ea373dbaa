// PodSpec and PodTemplateSpec: schemas, the defaults kube-apiserver fills in, and validation of the
// parts devcluster's node agent relies on (containers, ports, volumes, probes).
import {
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from '../../api/errors.ts';
import { nameProblems } from '../../logic/names.ts';
import { isObject, type JsonObject } from '../../logic/schema.ts';
import { objectMetaSchema } from '../object-meta.ts';
import { atomicList, bool, int, int64, intOrString, keyedList, obj, opaque, str, stringMap } from '../schema-dsl.ts';

const keySelector = obj({ name: str(), key: str(), optional: bool() }, { required: ['key'] });

const probe = obj({
  exec: obj({ command: atomicList(str()) }),
  httpGet: obj(
    {
      path: str(),
      port: intOrString(),
      host: str(),
      scheme: str(),
      httpHeaders: atomicList(obj({ name: str(), value: str() })),
    },
    { required: ['port'] },
  ),
  tcpSocket: obj({ port: intOrString(), host: str() }, { required: ['port'] }),
  grpc: obj({ port: int(), service: str() }, { required: ['port'] }),
  initialDelaySeconds: int(),
  timeoutSeconds: int(),
  periodSeconds: int(),
  successThreshold: int(),
  failureThreshold: int(),
  terminationGracePeriodSeconds: int64(),
});

export const containerSchema = obj(
  {
    name: str(),
    image: str(),
    command: atomicList(str()),
    args: atomicList(str()),
    workingDir: str(),
    ports: keyedList(
      obj(
        { name: str(), hostPort: int(), containerPort: int(), protocol: str(), hostIP: str() },
        { required: ['containerPort'] },
      ),
      ['containerPort', 'protocol'],
    ),
    envFrom: atomicList(
      obj({
        prefix: str(),
        configMapRef: obj({ name: str(), optional: bool() }),
        secretRef: obj({ name: str(), optional: bool() }),
      }),
    ),
    env: keyedList(
      obj(
        {
          name: str(),
          value: str(),
          valueFrom: obj({
            fieldRef: obj({ apiVersion: str(), fieldPath: str() }, { required: ['fieldPath'] }),
            resourceFieldRef: obj(
              { containerName: str(), resource: str(), divisor: intOrString() },
              { required: ['resource'] },
            ),
            configMapKeyRef: keySelector,
            secretKeyRef: keySelector,
          }),
        },
        { required: ['name'] },
      ),
      ['name'],
    ),
    resources: obj({
      limits: { type: 'object', additionalProperties: intOrString() },
      requests: { type: 'object', additionalProperties: intOrString() },
      claims: atomicList(opaque()),
    }),
    resizePolicy: atomicList(opaque()),
    restartPolicy: str(),
    volumeMounts: keyedList(
      obj(
        {
          name: str(),
          readOnly: bool(),
          recursiveReadOnly: str(),
          mountPath: str(),
          subPath: str(),
          mountPropagation: str(),
          subPathExpr: str(),
        },
        { required: ['name', 'mountPath'] },
      ),
      ['mountPath'],
    ),
    volumeDevices: keyedList(obj({ name: str(), devicePath: str() }), ['devicePath']),
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle: opaque(),
    terminationMessagePath: str(),
    terminationMessagePolicy: str(),
    imagePullPolicy: str(),
    securityContext: opaque(),
    stdin: bool(),
    stdinOnce: bool(),
    tty: bool(),
  },
  { required: ['name'] },
);

const keyToPath = atomicList(obj({ key: str(), path: str(), mode: int() }, { required: ['key', 'path'] }));

const downwardItems = atomicList(
  obj(
    {
      path: str(),
      fieldRef: obj({ apiVersion: str(), fieldPath: str() }, { required: ['fieldPath'] }),
      resourceFieldRef: obj(
        { containerName: str(), resource: str(), divisor: intOrString() },
        { required: ['resource'] },
      ),
      mode: int(),
    },
    { required: ['path'] },
  ),
);

// Volume sources other than the ones the node agent mounts are kept as sent.
const volumeSchema = obj(
  {
    name: str(),
    configMap: obj({ name: str(), items: keyToPath, defaultMode: int(), optional: bool() }),
    secret: obj({ secretName: str(), items: keyToPath, defaultMode: int(), optional: bool() }),
    emptyDir: obj({ medium: str(), sizeLimit: intOrString() }),
    hostPath: obj({ path: str(), type: str() }, { required: ['path'] }),
    persistentVolumeClaim: obj({ claimName: str(), readOnly: bool() }, { required: ['claimName'] }),
    downwardAPI: obj({ items: downwardItems, defaultMode: int() }),
    projected: obj({
      sources: atomicList(
        obj({
          configMap: obj({ name: str(), items: keyToPath, optional: bool() }),
          secret: obj({ name: str(), items: keyToPath, optional: bool() }),
          downwardAPI: obj({ items: downwardItems }),
          serviceAccountToken: obj(
            { audience: str(), expirationSeconds: int64(), path: str() },
            { required: ['path'] },
          ),
          clusterTrustBundle: opaque(),
        }),
      ),
      defaultMode: int(),
    }),
    ephemeral: opaque(),
  },
  { required: ['name'], 'x-kubernetes-preserve-unknown-fields': true },
);

const HOST_PATH_TYPES = [
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
];

/** A path inside a volume (items[].path, subPath): relative, without "..". */
function relativePathProblems(field: string, path: unknown): FieldError[] {
  if (typeof path !== 'string' || path === '') return [];
  if (path.startsWith('/')) return [fieldInvalid(field, path, 'must be a relative path')];
  if (path.split('/').includes('..')) return [fieldInvalid(field, path, "must not contain '..'")];
  return [];
}

function validateMode(field: string, mode: unknown): FieldError[] {
  return mode === undefined || (typeof mode === 'number' && mode >= 0 && mode <= 0o777)
    ? []
    : [fieldInvalid(field, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
}

function validateItems(field: string, items: unknown): FieldError[] {
  const errors: FieldError[] = [];
  (Array.isArray(items) ? items : []).forEach((item, i) => {
    if (!isObject(item)) return;
    if (item.path === undefined || item.path === '') errors.push(fieldRequired(`${field}[${i}].path`));
    errors.push(...relativePathProblems(`${field}[${i}].path`, item.path));
    errors.push(...validateMode(`${field}[${i}].mode`, item.mode));
  });
  return errors;
}

/** Exactly one source per volume, and the rules of the sources the node mounts. */
function validateVolume(v: JsonObject, at: string): FieldError[] {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) return [fieldRequired(at, 'must specify a volume type')];
  if (sources.length > 1) return [fieldForbidden(`${at}.${sources[1]}`, 'may not specify more than 1 volume type')];
  const errors: FieldError[] = [];
  const source = v[sources[0]!];
  if (!isObject(source)) return errors;
  const field = `${at}.${sources[0]}`;
  if (sources[0] === 'hostPath') {
    if (typeof source.path !== 'string' || !source.path) errors.push(fieldRequired(`${field}.path`));
    if (source.type !== undefined && !HOST_PATH_TYPES.includes(String(source.type)))
      errors.push(fieldNotSupported(`${field}.type`, source.type, HOST_PATH_TYPES));
  }
  if (sources[0] === 'persistentVolumeClaim' && !source.claimName) errors.push(fieldRequired(`${field}.claimName`));
  if (sources[0] === 'configMap' && !source.name) errors.push(fieldRequired(`${field}.name`));
  if (sources[0] === 'secret' && !source.secretName) errors.push(fieldRequired(`${field}.secretName`));
  errors.push(...validateMode(`${field}.defaultMode`, source.defaultMode));
  errors.push(...validateItems(`${field}.items`, source.items));
  (Array.isArray(source.sources) ? source.sources : []).forEach((p, i) => {
    if (!isObject(p)) return;
    for (const [kind, part] of Object.entries(p)) {
      if (!isObject(part)) continue;
      errors.push(...validateItems(`${field}.sources[${i}].${kind}.items`, part.items));
      if (kind === 'serviceAccountToken')
        errors.push(...relativePathProblems(`${field}.sources[${i}].${kind}.path`, part.path));
    }
  });
  return errors;
}

export const podSpecSchema = obj(
  {
    volumes: keyedList(volumeSchema, ['name'], { 'x-kubernetes-patch-strategy': 'merge,retainKeys' }),
    initContainers: keyedList(containerSchema, ['name']),
    containers: keyedList(containerSchema, ['name']),
    ephemeralContainers: keyedList(opaque(), ['name']),
    restartPolicy: str(),
    terminationGracePeriodSeconds: int64(),
    activeDeadlineSeconds: int64(),
    dnsPolicy: str(),
    nodeSelector: stringMap(),
    serviceAccountName: str(),
    serviceAccount: str(),
    automountServiceAccountToken: bool(),
    nodeName: str(),
    hostNetwork: bool(),
    hostPID: bool(),
    hostIPC: bool(),
    shareProcessNamespace: bool(),
    securityContext: opaque(),
    imagePullSecrets: keyedList(obj({ name: str() }), ['name']),
    hostname: str(),
    subdomain: str(),
    affinity: opaque(),
    schedulerName: str(),
    tolerations: atomicList(opaque()),
    hostAliases: keyedList(obj({ ip: str(), hostnames: atomicList(str()) }), ['ip']),
    priorityClassName: str(),
    priority: int(),
    dnsConfig: opaque(),
    readinessGates: atomicList(opaque()),
    runtimeClassName: str(),
    enableServiceLinks: bool(),
    preemptionPolicy: str(),
    overhead: opaque(),
    topologySpreadConstraints: atomicList(opaque()),
    setHostnameAsFQDN: bool(),
    os: opaque(),
    hostUsers: bool(),
    schedulingGates: keyedList(opaque(), ['name']),
    resourceClaims: keyedList(opaque(), ['name']),
    resources: opaque(),
  },
  { required: ['containers'] },
);

export const podTemplateSpecSchema = obj({ metadata: objectMetaSchema, spec: podSpecSchema });

export const labelSelectorSchema = obj(
  {
    matchLabels: stringMap(),
    matchExpressions: atomicList(
      obj({ key: str(), operator: str(), values: atomicList(str()) }, { required: ['key', 'operator'] }),
    ),
  },
  { 'x-kubernetes-map-type': 'atomic' },
);

/** The defaults kube-apiserver's defaulting functions fill into a PodSpec. */
export function defaultPodSpec(spec: JsonObject): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const list of ['containers', 'initContainers'] as const) {
    for (const c of (Array.isArray(spec[list]) ? spec[list] : []) as JsonObject[]) {
      if (!isObject(c)) continue;
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
        c.imagePullPolicy = /:latest$/.test(c.image) || !/:[^/]+$/.test(c.image) ? 'Always' : 'IfNotPresent';
      }
      c.resources ??= {};
      for (const p of (Array.isArray(c.ports) ? c.ports : []) as JsonObject[]) if (isObject(p)) p.protocol ??= 'TCP';
      for (const probeName of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const pr = c[probeName];
        if (!isObject(pr)) continue;
        pr.timeoutSeconds ??= 1;
        pr.periodSeconds ??= 10;
        pr.successThreshold ??= 1;
        pr.failureThreshold ??= 3;
        if (isObject(pr.httpGet)) pr.httpGet.scheme ??= 'HTTP';
      }
    }
  }
  for (const v of (Array.isArray(spec.volumes) ? spec.volumes : []) as JsonObject[]) {
    if (!isObject(v)) continue;
    if (isObject(v.configMap)) v.configMap.defaultMode ??= 420;
    if (isObject(v.secret)) v.secret.defaultMode ??= 420;
  }
}

/** `claimTemplates`: names a StatefulSet's volumeClaimTemplates add as volumes of its pods. */
export function validatePodSpec(spec: unknown, path: string, claimTemplates: string[] = []): FieldError[] {
  if (!isObject(spec)) return [fieldRequired(path)];
  const errors: FieldError[] = [];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) errors.push(fieldRequired(`${path}.containers`));
  const volumeNames = new Set<string>(claimTemplates);
  (Array.isArray(spec.volumes) ? spec.volumes : []).forEach((v, i) => {
    if (!isObject(v) || typeof v.name !== 'string') return;
    const problems = nameProblems(v.name, 'label');
    if (problems.length) errors.push(fieldInvalid(`${path}.volumes[${i}].name`, v.name, problems.join(', ')));
    if (volumeNames.has(v.name)) errors.push(fieldDuplicate(`${path}.volumes[${i}].name`, v.name));
    volumeNames.add(v.name);
    errors.push(...validateVolume(v, `${path}.volumes[${i}]`));
  });
  for (const list of ['initContainers', 'containers'] as const) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    const names = new Set<string>();
    items.forEach((c, i) => {
      const at = `${path}.${list}[${i}]`;
      if (!isObject(c)) return;
      if (typeof c.name !== 'string' || !c.name) errors.push(fieldRequired(`${at}.name`));
      else {
        const problems = nameProblems(c.name, 'label');
        if (problems.length) errors.push(fieldInvalid(`${at}.name`, c.name, problems.join(', ')));
        if (names.has(c.name)) errors.push(fieldDuplicate(`${at}.name`, c.name));
        names.add(c.name);
      }
      if (typeof c.image !== 'string' || !c.image.trim()) errors.push(fieldRequired(`${at}.image`));
      (Array.isArray(c.ports) ? c.ports : []).forEach((p, j) => {
        if (isObject(p) && typeof p.containerPort === 'number' && (p.containerPort < 1 || p.containerPort > 65535)) {
          errors.push(
            fieldInvalid(`${at}.ports[${j}].containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'),
          );
        }
      });
      (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).forEach((m, j) => {
        if (!isObject(m)) return;
        errors.push(...relativePathProblems(`${at}.volumeMounts[${j}].subPath`, m.subPath));
        if (m.subPath && m.subPathExpr)
          errors.push(
            fieldInvalid(
              `${at}.volumeMounts[${j}].subPathExpr`,
              m.subPathExpr,
              'subPathExpr and subPath are mutually exclusive',
            ),
          );
        if (typeof m.name === 'string' && !volumeNames.has(m.name)) {
          errors.push({
            type: 'FieldValueNotFound',
            field: `${at}.volumeMounts[${j}].name`,
            detail: `Not found: ${JSON.stringify(m.name)}`,
          });
        }
      });
    });
  }
  return errors;
}
