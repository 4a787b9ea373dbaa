// render: a WorkflowApp version -> the Kubernetes objects that run it. Pure and deterministic (no
// clock, no I/O), snapshot-tested; applying is someone else's job. Which objects exist at a moment
// (one Deployment, or two during a blue-green or canary rollout) is decided by rollout/plan.ts.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1DeploymentStrategy,
  V1EnvVar,
  V1OwnerReference,
  V1Service,
} from '@kubernetes/client-node';
import * as api from '../api/constants.ts';
import * as tenantApi from '../api/tenant-constants.ts';
import type { EffectiveSpec } from '../api/defaults.ts';
import type { ResolvedPlugin, WorkflowApp } from '../api/types.ts';
import type { PreparedEngineConfig, ProbePaths } from './engine-config.ts';
import { canonicalJson, sha256Hex, shortHash } from './hash.ts';

/** The Deployments an app can have: `stable` is `<app>`; the others are `<app>-<track>`. */
export type Track = 'stable' | 'canary' | 'blue' | 'green';

/** Everything that defines one version of the app's pods. */
export interface AppVersion {
  spec: EffectiveSpec;
  configYaml: string;
  pluginLock: string;
  /** sha256 of config + plugin lock (status.configHash, pod template annotation). */
  configHash: string;
  /** Short hash of the whole pod template: equal revisions run identical pods. */
  revision: string;
  probes: ProbePaths | null;
  /**
   * Set when the lock names plugins with archives: the pods fetch and verify them from this registry
   * at start, into an emptyDir, before they report ready.
   */
  pluginRegistryUrl?: string;
}

export type OwnedObject = V1ConfigMap | V1Deployment | V1Service;

export function deploymentName(app: WorkflowApp, track: Track): string {
  return track === 'stable' ? app.metadata.name : `${app.metadata.name}-${track}`;
}
export function configMapName(app: WorkflowApp, track: Track): string {
  return `${deploymentName(app, track)}-config`;
}
export function serviceName(app: WorkflowApp): string {
  return app.metadata.name;
}
export function previewServiceName(app: WorkflowApp): string {
  return `${app.metadata.name}-preview`;
}

export function commonLabels(app: WorkflowApp, spec: Pick<EffectiveSpec, 'tenant'>): Record<string, string> {
  const labels: Record<string, string> = {
    [api.labels.name]: api.engineName,
    [api.labels.instance]: app.metadata.name,
    [api.labels.managedBy]: api.managedByValue,
  };
  if (spec.tenant) labels[api.labels.tenant] = spec.tenant;
  return labels;
}

/** Selects every pod of the app, whatever its track: status.selector, for the scale subresource. */
export function appSelector(app: WorkflowApp): Record<string, string> {
  return { [api.labels.name]: api.engineName, [api.labels.instance]: app.metadata.name };
}

export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function ownerReference(app: WorkflowApp): V1OwnerReference {
  return {
    apiVersion: api.apiVersion,
    kind: api.kind,
    name: app.metadata.name,
    uid: app.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function pluginLockJson(plugins: ResolvedPlugin[]): string {
  const sorted = [...plugins].sort((a, b) => (a.name < b.name ? -1 : 1));
  return JSON.stringify({ lockfileVersion: 1, plugins: sorted }, null, 2) + '\n';
}

export function buildVersion(
  app: WorkflowApp,
  spec: EffectiveSpec,
  config: PreparedEngineConfig,
  plugins: ResolvedPlugin[],
  opts: { pluginRegistryUrl?: string } = {},
): AppVersion {
  const pluginLock = pluginLockJson(plugins);
  const configHash = sha256Hex(`${config.yaml}\0${pluginLock}`);
  const fetched = opts.pluginRegistryUrl && plugins.some((p) => p.sha256);
  const partial = {
    spec,
    configYaml: config.yaml,
    pluginLock,
    configHash,
    probes: config.probes,
    revision: '',
    ...(fetched ? { pluginRegistryUrl: opts.pluginRegistryUrl } : {}),
  };
  // The revision hashes the pod template itself (with a placeholder ConfigMap name, which differs
  // per track), so any change that would change the pods changes it, and nothing else does.
  const template = podTemplate(app, partial, 'stable', '<config>');
  const { [api.labels.track]: _track, ...labels } = template.metadata.labels;
  return { ...partial, revision: shortHash({ ...template, metadata: { ...template.metadata, labels } }) };
}

function engineEnv(spec: EffectiveSpec): V1EnvVar[] {
  const env: V1EnvVar[] = [{ name: 'WORKFLOW_ADDR', value: `:${api.enginePort}` }];
  if (spec.tenant) env.push({ name: 'WORKFLOW_TENANT', value: spec.tenant });
  if (spec.licenseSecretRef) {
    env.push({
      name: 'WORKFLOW_LICENSE_KEY',
      valueFrom: { secretKeyRef: { name: spec.licenseSecretRef.name, key: spec.licenseSecretRef.key ?? 'license' } },
    });
  } else if (spec.tenant) {
    // The tenant controller copies the tenant's license into each of its namespaces; optional, so an
    // app of a tenant without a license (or outside its namespaces) still starts.
    const { licenseSecret, licenseKey } = tenantApi.objects;
    env.push({
      name: 'WORKFLOW_LICENSE_KEY',
      valueFrom: { secretKeyRef: { name: licenseSecret, key: licenseKey, optional: true } },
    });
  }
  const ours = new Set(env.map((e) => e.name));
  return [...env, ...(spec.env ?? []).filter((e) => !ours.has(e.name))];
}

/** Where the pod's plugins go (an emptyDir) and the env that makes `wfctl run` fetch them there. */
function pluginEnv(registryUrl: string): V1EnvVar[] {
  return [
    { name: 'WORKFLOW_REGISTRY_URL', value: registryUrl },
    { name: 'WORKFLOW_PLUGIN_LOCK', value: `${api.configMountPath}/${api.pluginLockKey}` },
    { name: 'WORKFLOW_PLUGIN_DIR', value: api.pluginMountPath },
  ];
}

function podTemplate(app: WorkflowApp, version: Omit<AppVersion, 'revision'>, track: Track, configMap: string) {
  const { spec } = version;
  const registry = version.pluginRegistryUrl;
  const env = engineEnv(spec);
  const container: V1Container = {
    name: 'engine',
    image: spec.image,
    ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
    args: ['run', `${api.configMountPath}/${api.configKey}`],
    ports: [{ name: api.enginePortName, containerPort: api.enginePort, protocol: 'TCP' }],
    env: registry ? [...env.slice(0, 1), ...pluginEnv(registry), ...env.slice(1)] : env,
    ...(spec.envFrom?.length ? { envFrom: spec.envFrom } : {}),
    ...(spec.resources ? { resources: spec.resources as V1Container['resources'] } : {}),
    volumeMounts: [
      { name: 'config', mountPath: api.configMountPath, readOnly: true },
      ...(registry ? [{ name: 'plugins', mountPath: api.pluginMountPath }] : []),
    ],
  };
  if (version.probes) {
    container.readinessProbe = {
      httpGet: { path: version.probes.readyPath, port: api.enginePortName },
      periodSeconds: 5,
      failureThreshold: 3,
    };
    container.livenessProbe = {
      httpGet: { path: version.probes.livePath, port: api.enginePortName },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      failureThreshold: 3,
    };
  }
  return {
    metadata: {
      labels: { ...commonLabels(app, spec), [api.labels.track]: track },
      annotations: { [api.annotations.configHash]: version.configHash },
    },
    spec: {
      containers: [container],
      volumes: [
        { name: 'config', configMap: { name: configMap } },
        ...(registry ? [{ name: 'plugins', emptyDir: {} }] : []),
      ],
    },
  };
}

export function renderConfigMap(app: WorkflowApp, version: AppVersion, track: Track): V1ConfigMap {
  return stampDesiredHash({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(app, track),
      namespace: app.metadata.namespace,
      labels: { ...commonLabels(app, version.spec), [api.labels.track]: track },
      annotations: { [api.annotations.configHash]: version.configHash },
      ownerReferences: [ownerReference(app)],
    },
    data: { [api.configKey]: version.configYaml, [api.pluginLockKey]: version.pluginLock },
  });
}

export function renderDeployment(app: WorkflowApp, version: AppVersion, track: Track, replicas: number): V1Deployment {
  const { spec } = version;
  const selector = { ...appSelector(app), [api.labels.track]: track };
  // Blue-green and canary do their own traffic shifting between two Deployments; inside each
  // Deployment a surge-only rolling update keeps capacity.
  const strategy: V1DeploymentStrategy =
    spec.strategy.type === 'Recreate'
      ? { type: 'Recreate' }
      : {
          type: 'RollingUpdate',
          rollingUpdate:
            spec.strategy.type === 'RollingUpdate' ? spec.strategy.rollingUpdate : { maxSurge: 1, maxUnavailable: 0 },
        };
  return stampDesiredHash({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(app, track),
      namespace: app.metadata.namespace,
      labels: { ...commonLabels(app, spec), [api.labels.track]: track },
      annotations: { [api.annotations.revision]: version.revision },
      ownerReferences: [ownerReference(app)],
    },
    spec: {
      replicas,
      revisionHistoryLimit: 5,
      ...(spec.strategy.progressDeadlineSeconds
        ? { progressDeadlineSeconds: spec.strategy.progressDeadlineSeconds }
        : {}),
      selector: { matchLabels: selector },
      strategy,
      template: podTemplate(app, version, track, configMapName(app, track)),
    },
  });
}

export interface ServiceOptions {
  name: string;
  /** Select only this track's pods (blue-green); all of the app's pods when unset. */
  track?: Track;
}

export function renderService(app: WorkflowApp, spec: EffectiveSpec, opts: ServiceOptions): V1Service {
  const selector = opts.track ? { ...appSelector(app), [api.labels.track]: opts.track } : appSelector(app);
  const annotations = opts.name === serviceName(app) ? spec.service.annotations : {};
  return stampDesiredHash({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: opts.name,
      namespace: app.metadata.namespace,
      labels: commonLabels(app, spec),
      ...(Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
      ownerReferences: [ownerReference(app)],
    },
    spec: {
      type: opts.name === serviceName(app) ? spec.service.type : 'ClusterIP',
      selector,
      ports: spec.service.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol,
        ...(p.nodePort && spec.service.type !== 'ClusterIP' ? { nodePort: p.nodePort } : {}),
      })) as NonNullable<V1Service['spec']>['ports'],
    },
  });
}

/**
 * Records in an annotation what the operator meant the object to be. An unchanged desired object
 * whose live copy still carries this hash (and still has the fields) needs no apply: no writes on
 * resync. A field the operator stops setting changes the hash, so SSA gets to remove it.
 */
export function stampDesiredHash<T extends KubernetesObject>(obj: T): T {
  const hash = shortHash(canonicalJson(obj));
  obj.metadata = {
    ...obj.metadata,
    annotations: { ...(obj.metadata?.annotations ?? {}), [api.annotations.desiredHash]: hash },
  };
  return obj;
}

/**
 * The objects of an app at rest under RollingUpdate (what the operator converges to): for tools
 * and benchmarks that want them without a cluster.
 */
export function renderSteadyState(
  app: WorkflowApp,
  spec: EffectiveSpec,
  config: PreparedEngineConfig,
  plugins: ResolvedPlugin[] = [],
): OwnedObject[] {
  const version = buildVersion(app, spec, config, plugins);
  return [
    renderConfigMap(app, version, 'stable'),
    renderDeployment(app, version, 'stable', spec.replicas),
    renderService(app, spec, { name: serviceName(app) }),
  ];
}
