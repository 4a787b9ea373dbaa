// How one container of a pod becomes a local process, as a pure function of the pod and the objects
// it references: the command for its image, its environment (env, envFrom, downward API fields,
// WORKFLOW_ADDR/PORT), the files of its ConfigMap/Secret/emptyDir volumes, and container paths in
// args and env rewritten to the pod's directory. Failures carry the kubelet's waiting reasons.
import { join, posix } from 'node:path';
import type { KubeObject } from '../resources/object-meta.ts';

export interface ImageRuntime {
  /** The process for the image's entrypoint, e.g. [process.execPath, '<repo>/bin/wfctl.js']. */
  command: string[];
  /** Arguments used when the container sets none. */
  defaultArgs?: string[];
  /** A container `command` naming this entrypoint (e.g. "wfctl") runs `command` with the rest as arguments. */
  entrypointName?: string;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  env?: Array<{ name: string; value?: string; valueFrom?: EnvSource }>;
  envFrom?: Array<{
    prefix?: string;
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

interface EnvSource {
  fieldRef?: { fieldPath: string };
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
  secretKeyRef?: { name: string; key: string; optional?: boolean };
}

export interface Probe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface VolumeFile {
  /** Absolute path under the pod directory. */
  path: string;
  content: Buffer;
  mode: number;
}

export interface ContainerPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Directories to create (emptyDir, volume roots) and files to write. */
  dirs: string[];
  files: VolumeFile[];
  /** The container port mapped to the pod's loopback port, if any. */
  containerPort?: number;
  readiness?: ResolvedProbe;
  liveness?: ResolvedProbe;
}

export interface ResolvedProbe {
  kind: 'http' | 'tcp';
  port: number;
  path: string;
  initialDelayMs: number;
  timeoutMs: number;
  periodMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** A container that cannot start: reason as the kubelet reports it (waiting.reason) and why. */
export class PlanError extends Error {
  constructor(
    readonly reason: 'ErrImageNeverPull' | 'CreateContainerConfigError' | 'CreateContainerError',
    message: string,
  ) {
    super(message);
  }
}

export interface PlanInput {
  pod: KubeObject;
  container: Container;
  runtime: ImageRuntime | undefined;
  /** The names of images this node runs, for the error message. */
  runnableImages: string[];
  podDir: string;
  hostPort: number;
  apiServer: { host: string; port: number };
  configMap(name: string): Record<string, string> | undefined;
  /** Secret data, already base64-decoded. */
  secret(name: string): Record<string, Buffer> | undefined;
  /** Extra host environment every process gets (PATH and friends). */
  baseEnv: Record<string, string>;
}

/** "registry.example.com/org/workflow-engine:1.2@sha256:..." -> "workflow-engine" */
export function imageName(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const last = withoutDigest.split('/').pop()!;
  return last.includes(':') ? last.slice(0, last.lastIndexOf(':')) : last;
}

export function planContainer(input: PlanInput): ContainerPlan {
  const { pod, container, podDir } = input;
  const image = container.image ?? '';
  if (!input.runtime) {
    throw new PlanError(
      'ErrImageNeverPull',
      `devcluster's node agent runs only ${input.runnableImages.map((n) => `${n}:*`).join(', ')} images as local processes; "${image}" cannot run on this node`,
    );
  }
  const mounts = mountTable(pod, container, podDir);
  const files: VolumeFile[] = [];
  const dirs: string[] = [];
  materialiseVolumes(input, mounts, files, dirs);

  let command = input.runtime.command;
  if (container.command?.length) {
    const entry = posix.basename(container.command[0]!);
    if (entry !== input.runtime.entrypointName) {
      throw new PlanError(
        'CreateContainerError',
        `container "${container.name}": devcluster runs the image's own entrypoint${input.runtime.entrypointName ? ` ("${input.runtime.entrypointName}")` : ''}; command ${JSON.stringify(container.command)} cannot run here (put the arguments in args)`,
      );
    }
    command = [...input.runtime.command, ...container.command.slice(1)];
  }
  const rewrite = (value: string) => rewritePaths(value, mounts);
  const containerPort = container.ports?.[0]?.containerPort;
  const env = resolveEnv(input, rewrite);
  env.WORKFLOW_ADDR = `127.0.0.1:${input.hostPort}`;
  env.PORT = String(input.hostPort);
  // as with an image's CMD: the default arguments apply only when the container sets neither command nor args
  const args = (container.args ?? (container.command?.length ? [] : (input.runtime.defaultArgs ?? []))).map((a) =>
    rewrite(expandVars(a, env)),
  );
  return {
    command: command[0]!,
    args: [...command.slice(1), ...args],
    env,
    cwd: container.workingDir ? rewrite(container.workingDir) : podDir,
    dirs,
    files,
    containerPort,
    readiness: resolveProbe(container.readinessProbe, container, input.hostPort) ?? defaultReadiness(input.hostPort),
    liveness: resolveProbe(container.livenessProbe, container, input.hostPort),
  };
}

interface Mount {
  mountPath: string;
  hostPath: string;
  volume: string;
}

function mountTable(pod: KubeObject, container: Container, podDir: string): Mount[] {
  const volumes = new Set(((pod.spec as { volumes?: Array<{ name: string }> }).volumes ?? []).map((v) => v.name));
  return (
    (container.volumeMounts ?? [])
      .filter((m) => volumes.has(m.name))
      .map((m) => ({
        mountPath: posix.normalize(m.mountPath).replace(/\/$/, '') || '/',
        hostPath: join(podDir, 'volumes', m.name, m.subPath ?? ''),
        volume: m.name,
      }))
      // longest mount path first, so nested mounts win
      .sort((a, b) => b.mountPath.length - a.mountPath.length)
  );
}

/** Container paths (whole values, or the value part of `--flag=/path`) under a mount go to the pod dir. */
export function rewritePaths(value: string, mounts: Mount[]): string {
  const mapOne = (path: string): string => {
    if (!path.startsWith('/')) return path;
    for (const m of mounts) {
      if (path === m.mountPath) return m.hostPath;
      if (path.startsWith(m.mountPath === '/' ? '/' : `${m.mountPath}/`))
        return join(m.hostPath, path.slice(m.mountPath.length));
    }
    return path;
  };
  const eq = value.indexOf('=');
  if (!value.startsWith('/') && eq > 0 && value[eq + 1] === '/')
    return value.slice(0, eq + 1) + mapOne(value.slice(eq + 1));
  return mapOne(value);
}

function materialiseVolumes(input: PlanInput, mounts: Mount[], files: VolumeFile[], dirs: string[]): void {
  const used = new Set(mounts.map((m) => m.volume));
  type KeyToPath = { key: string; path: string; mode?: number };
  const volumes = ((input.pod.spec as { volumes?: Array<Record<string, any>> }).volumes ?? []).filter((v) =>
    used.has(v.name),
  );
  for (const v of volumes) {
    const root = join(input.podDir, 'volumes', v.name);
    dirs.push(root);
    let data: Record<string, Buffer> | undefined;
    let items: KeyToPath[] | undefined;
    let mode = 0o644;
    let what = '';
    if (v.configMap) {
      what = `configmap "${v.configMap.name}"`;
      const cm = input.configMap(v.configMap.name);
      data = cm && Object.fromEntries(Object.entries(cm).map(([k, s]) => [k, Buffer.from(s, 'utf8')]));
      items = v.configMap.items;
      mode = v.configMap.defaultMode ?? mode;
      if (!data && !v.configMap.optional)
        throw new PlanError('CreateContainerConfigError', `${what} not found (volume "${v.name}")`);
    } else if (v.secret) {
      what = `secret "${v.secret.secretName}"`;
      data = input.secret(v.secret.secretName);
      items = v.secret.items;
      mode = v.secret.defaultMode ?? mode;
      if (!data && !v.secret.optional)
        throw new PlanError('CreateContainerConfigError', `${what} not found (volume "${v.name}")`);
    } else continue; // emptyDir and others: an empty directory
    for (const [key, content] of Object.entries(data ?? {})) {
      const item = items?.find((i) => i.key === key);
      if (items && !item) continue;
      files.push({ path: join(root, item?.path ?? key), content, mode: item?.mode ?? mode });
    }
    for (const item of items ?? []) {
      if (data && !(item.key in data))
        throw new PlanError('CreateContainerConfigError', `${what} has no key "${item.key}" (volume "${v.name}")`);
    }
  }
}

function resolveEnv(input: PlanInput, rewrite: (v: string) => string): Record<string, string> {
  const { pod, container } = input;
  const env: Record<string, string> = {
    ...input.baseEnv,
    HOSTNAME: pod.metadata.name ?? '',
    KUBERNETES_SERVICE_HOST: input.apiServer.host,
    KUBERNETES_SERVICE_PORT: String(input.apiServer.port),
    HOME: input.podDir,
  };
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const cm = input.configMap(source.configMapRef.name);
      if (!cm && !source.configMapRef.optional)
        throw new PlanError('CreateContainerConfigError', `configmap "${source.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(cm ?? {})) env[prefix + k] = v;
    }
    if (source.secretRef) {
      const secret = input.secret(source.secretRef.name);
      if (!secret && !source.secretRef.optional)
        throw new PlanError('CreateContainerConfigError', `secret "${source.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(secret ?? {})) env[prefix + k] = v.toString('utf8');
    }
  }
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      env[e.name] = rewrite(expandVars(e.value ?? '', env));
      continue;
    }
    if (from.fieldRef) {
      env[e.name] = fieldValue(pod, from.fieldRef.fieldPath);
    } else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const value = input.configMap(ref.name)?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new PlanError(
          'CreateContainerConfigError',
          input.configMap(ref.name)
            ? `couldn't find key ${ref.key} in ConfigMap ${pod.metadata.namespace}/${ref.name}`
            : `configmap "${ref.name}" not found`,
        );
      }
      env[e.name] = value;
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      const value = input.secret(ref.name)?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new PlanError(
          'CreateContainerConfigError',
          input.secret(ref.name)
            ? `couldn't find key ${ref.key} in Secret ${pod.metadata.namespace}/${ref.name}`
            : `secret "${ref.name}" not found`,
        );
      }
      env[e.name] = value.toString('utf8');
    }
  }
  return env;
}

function fieldValue(pod: KubeObject, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (pod.metadata[m[1] as 'labels' | 'annotations'] ?? {})[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return String((pod.spec as { nodeName?: string }).nodeName ?? '');
    case 'spec.serviceAccountName':
      return String((pod.spec as { serviceAccountName?: string }).serviceAccountName ?? 'default');
    case 'status.podIP':
    case 'status.hostIP':
      return '127.0.0.1';
    default:
      throw new PlanError('CreateContainerConfigError', `unsupported fieldRef fieldPath "${path}"`);
  }
}

/** $(VAR) references to variables defined earlier; $$ escapes. Unknown references stay as written. */
export function expandVars(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && name in env ? env[name]! : match;
  });
}

function resolveProbe(probe: Probe | undefined, container: Container, hostPort: number): ResolvedProbe | undefined {
  if (!probe) return undefined;
  const target = probe.httpGet ?? probe.tcpSocket;
  if (!target) return undefined; // exec probes are not run: treated as passing
  const port = mapPort(target.port, container, hostPort);
  return {
    kind: probe.httpGet ? 'http' : 'tcp',
    port,
    path: probe.httpGet?.path ?? '/',
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

function defaultReadiness(hostPort: number): ResolvedProbe {
  return {
    kind: 'http',
    port: hostPort,
    path: '/readyz',
    initialDelayMs: 0,
    timeoutMs: 1000,
    periodMs: 1000,
    successThreshold: 1,
    failureThreshold: 3,
  };
}

/** The first container port (by number or name) is the pod's loopback port; others are unreachable. */
function mapPort(port: number | string, container: Container, hostPort: number): number {
  const first = container.ports?.[0];
  if (typeof port === 'string') {
    const named = container.ports?.find((p) => p.name === port);
    if (!named)
      throw new PlanError(
        'CreateContainerConfigError',
        `probe port "${port}" is not a named port of container "${container.name}"`,
      );
    port = named.containerPort;
  }
  if (first === undefined || port === first.containerPort) return hostPort;
  throw new PlanError(
    'CreateContainerConfigError',
    `probe port ${port} is not the container's first port (${first.containerPort}); devcluster maps only that port`,
  );
}
