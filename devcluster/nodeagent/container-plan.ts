// How one container of a pod becomes a local process, as a pure function of the pod and the objects
// it references: the command for its image, its environment (env, envFrom, downward API fields,
// WORKFLOW_ADDR/PORT), and where each of its volume mounts lives on disk (the pod's volumes are set up
// by volumes/pod-volumes.ts). The process runs on the host, not in a mount namespace: container paths
// in its args and env are rewritten to the host directories, and the whole mount table travels in
// WORKFLOW_PATH_MAP, through which our engine resolves the absolute paths of its config (a
// `dbPath: /data/app.db`). An engine's data dir that no volume holds lives in the container's own
// directory under the pod dir (its writable layer), never on the host's filesystem. (Containers do not
// run under PRoot as `kubectl exec` commands do: Debian's PRoot 5.1 intermittently fails path system
// calls made from a multi-threaded process, such as Node's fs thread pool, with EFAULT.) Failures
// carry the kubelet's waiting reasons.
import { join, posix } from 'node:path';
import { ownValue } from '../../security/index.ts';
import { DownwardApiError, fieldValue, resourceValue, type NodeAllocatable } from '../logic/downward-api.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { expandTemplate, type ImageRuntime } from './image-runtimes.ts';
import { containerPrimaryPort, type PodPorts, portTableEnv, resolvePodPort } from './pod-ports.ts';

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  stdin?: boolean;
  tty?: boolean;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  env?: Array<{ name: string; value?: string; valueFrom?: EnvSource }>;
  envFrom?: Array<{
    prefix?: string;
    configMapRef?: { name: string; optional?: boolean };
    secretRef?: { name: string; optional?: boolean };
  }>;
  volumeMounts?: Array<{
    name: string;
    mountPath: string;
    subPath?: string;
    subPathExpr?: string;
    readOnly?: boolean;
  }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

interface EnvSource {
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string | number };
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

/** A volume mount: the container path and where it lives on disk. */
export interface Mount {
  mountPath: string;
  hostPath: string;
  volume: string;
  readOnly: boolean;
}

/**
 * What must happen on disk before each start of the container: a subPath of a projected volume is
 * copied (the kubelet bind-mounts the file as it is then, so later updates do not reach it), a
 * missing subPath of a directory volume is created.
 */
export type MountStep = { kind: 'copy'; from: string; to: string } | { kind: 'mkdir'; path: string };

export interface ContainerPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  mounts: Mount[];
  prepare: MountStep[];
  /** The container's working directory as the container sees it (its `workingDir`, else "/"). */
  workingDir: string;
  /** The container keeps a stdin open (`stdin: true`), for pods/attach. */
  stdin: boolean;
  /** The pod's hosts file (Service names), bound at /etc/hosts for `kubectl exec`. */
  hostsFile?: string;
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
  /** The image patterns this node runs, for the error message. */
  runnableImages: string[];
  podDir: string;
  /** The pod's volumes as set up on disk: name -> directory, and whether it is a projection. */
  volumes: Map<string, { dir: string; projected: boolean }>;
  node: NodeAllocatable;
  /** The pod's loopback ports (pod-ports.ts). */
  ports: PodPorts;
  /**
   * The pod's network as its Node processes see it: the preload script (NODE_OPTIONS --require) that
   * moves listens on pod ports to their loopback ports and resolves Service names from `hostsFile`.
   */
  network?: { preload: string; hostsFile: string };
  apiServer: { host: string; port: number };
  configMap(name: string): Record<string, string> | undefined;
  /** Secret data, already base64-decoded. */
  secret(name: string): Record<string, Buffer> | undefined;
  /** Extra host environment every process gets (PATH and friends). */
  baseEnv: Record<string, string>;
}

export function planContainer(input: PlanInput): ContainerPlan {
  const { container, podDir } = input;
  const image = container.image ?? '';
  if (!input.runtime) {
    throw new PlanError(
      'ErrImageNeverPull',
      `devcluster's node agent runs only ` +
        `${input.runnableImages.map((p) => (/:[^/]*$/.test(p) ? p : `${p}:*`)).join(', ')} images as local ` +
        `processes; "${image}" cannot run on this node (wfctl devcluster --runtimes FILE maps more images ` +
        `to local commands)`,
    );
  }

  const hostPort = containerPrimaryPort(container, input.ports);
  const env = resolveEnv(input);
  const { mounts, prepare } = mountTable(container, input.volumes, podDir, env);
  const rewrite = (value: string) => rewritePaths(value, mounts);
  env.WORKFLOW_ADDR = `127.0.0.1:${hostPort}`;
  env.PORT = String(hostPort);
  if (input.network) {
    env.DEVCLUSTER_POD_PORTS = portTableEnv(input.ports);
    env.DEVCLUSTER_POD_HOSTS = input.network.hostsFile;
    env.NODE_OPTIONS = [env.NODE_OPTIONS, `--require ${nodeOptionQuote(input.network.preload)}`]
      .filter(Boolean)
      .join(' ');
  }
  const expand = (values: string[] | undefined) => values?.map((v) => expandVars(v, env));
  const runtime = input.runtime;
  // The runtime's own command is a host path (a host under /tmp holds the repo's bin/wfctl.js, and a
  // container may mount /tmp): only what the container gave is in the container's view and rewritten.
  let command: string[];
  let args: string[];
  let translatedEnv: Record<string, string> = {};
  try {
    if (runtime.template) {
      // a runtimes-file template has no data dir, so the mount table is already complete here
      const containerView = (values: string[] | undefined) => expand(values)?.map(rewrite);
      [...command] = expandTemplate(
        runtime.command,
        { command: containerView(container.command), args: containerView(container.args) },
        { primary: hostPort, byPodPort: input.ports.byPodPort },
      );
      args = [];
    } else {
      command = runtime.command;
      let given = container.args;
      if (container.command?.length) {
        const entry = posix.basename(container.command[0]!);
        if (entry !== runtime.entrypointName) {
          throw new Error(
            `devcluster runs the image's own ` +
              `entrypoint${runtime.entrypointName ? ` ("${runtime.entrypointName}")` : ''}; command ` +
              `${JSON.stringify(container.command)} cannot run here (put the arguments in args)`,
          );
        }
        given = [...container.command.slice(1), ...(container.args ?? [])];
      }
      // as with an image's CMD: the default arguments apply only when the container sets neither command nor args
      args = expand(given ?? (container.command?.length ? [] : runtime.defaultArgs)) ?? [];
      if (runtime.translateArgs) {
        const translated = runtime.translateArgs(args);
        args = translated.args;
        translatedEnv = Object.fromEntries(Object.entries(translated.env).filter(([k]) => !(k in env)));
      }
    }
  } catch (e) {
    throw new PlanError('CreateContainerError', `container "${container.name}": ${(e as Error).message}`);
  }
  const dataDir = runtime.dataDir && containerDataDir(args, { ...env, ...translatedEnv }, runtime.dataDir);
  if (dataDir && !mounts.some((m) => isUnder(dataDir, m.mountPath))) {
    // what the process writes there stays with this container, as in its image's writable layer
    const hostPath = join(podDir, 'rootfs', container.name, dataDir);
    mounts.push({ mountPath: dataDir, hostPath, volume: '', readOnly: false });
    mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
    prepare.push({ kind: 'mkdir', path: hostPath });
  }
  // paths the container was given (literal env values, translated flags, args); data from objects stays as it is
  for (const e of container.env ?? []) if (!e.valueFrom && e.name in env) env[e.name] = rewrite(env[e.name]!);
  for (const [k, v] of Object.entries(translatedEnv)) env[k] = rewrite(v);
  env.WORKFLOW_PATH_MAP = JSON.stringify(Object.fromEntries(mounts.map((m) => [m.mountPath, m.hostPath])));
  const hostsFile = input.network?.hostsFile;
  return {
    command: command[0]!,
    args: [...command.slice(1), ...args.map(rewrite)],
    env,
    cwd: container.workingDir ? rewrite(container.workingDir) : podDir,
    mounts,
    prepare,
    workingDir: container.workingDir ?? '/',
    stdin: container.stdin === true,
    ...(hostsFile ? { hostsFile } : {}),
    readiness: resolveProbe(container.readinessProbe, input) ?? defaultReadiness(hostPort),
    liveness: resolveProbe(container.livenessProbe, input),
  };
}

function isUnder(path: string, mountPath: string): boolean {
  return mountPath === '/' || path === mountPath || path.startsWith(`${mountPath}/`);
}

/** The absolute data dir the engine will use: its data-dir flag (`--data-dir D`, `--data-dir=D`), else the env. */
function containerDataDir(
  args: string[],
  env: Record<string, string>,
  spec: { flag: string; env: string },
): string | undefined {
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === spec.flag) dir = args[i + 1];
    else if (args[i]!.startsWith(`${spec.flag}=`)) dir = args[i]!.slice(spec.flag.length + 1);
  }
  dir ??= env[spec.env];
  return dir && posix.isAbsolute(dir) ? posix.normalize(dir).replace(/(.)\/$/, '$1') : undefined;
}

function mountTable(
  container: Container,
  volumes: PlanInput['volumes'],
  podDir: string,
  env: Record<string, string>,
): { mounts: Mount[]; prepare: MountStep[] } {
  const mounts: Mount[] = [];
  const prepare: MountStep[] = [];
  (container.volumeMounts ?? []).forEach((m, i) => {
    const volume = volumes.get(m.name);
    if (!volume) return;
    const subPath = m.subPath ?? (m.subPathExpr ? expandVars(m.subPathExpr, env) : '');
    if (subPath && (posix.isAbsolute(subPath) || subPath.split('/').includes('..')))
      throw new PlanError(
        'CreateContainerConfigError',
        `failed to prepare subPath for volumeMount "${m.name}" of container "${container.name}": ` +
          `${JSON.stringify(subPath)} must be a relative path without '..'`,
      );
    let hostPath = volume.dir;
    if (subPath && volume.projected) {
      hostPath = join(podDir, 'volume-subpaths', m.name, container.name, String(i));
      prepare.push({ kind: 'copy', from: join(volume.dir, subPath), to: hostPath });
    } else if (subPath) {
      hostPath = join(volume.dir, subPath);
      prepare.push({ kind: 'mkdir', path: hostPath });
    }
    mounts.push({
      mountPath: posix.normalize(m.mountPath).replace(/\/$/, '') || '/',
      hostPath,
      volume: m.name,
      readOnly: m.readOnly === true,
    });
  });
  // longest mount path first, so nested mounts win
  mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
  return { mounts, prepare };
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

function resolveEnv(input: PlanInput): Record<string, string> {
  const { pod, container } = input;
  // no prototype: variable names are data ($(constructor) is not a variable, __proto__ may be one)
  const env: Record<string, string> = Object.assign(Object.create(null), {
    ...input.baseEnv,
    HOSTNAME: pod.metadata.name ?? '',
    KUBERNETES_SERVICE_HOST: input.apiServer.host,
    KUBERNETES_SERVICE_PORT: String(input.apiServer.port),
    HOME: input.podDir,
  });
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
      env[e.name] = expandVars(e.value ?? '', env);
      continue;
    }
    if (from.fieldRef || from.resourceFieldRef) {
      try {
        env[e.name] = from.fieldRef
          ? fieldValue(pod, from.fieldRef.fieldPath)
          : resourceValue(
              pod,
              from.resourceFieldRef!.containerName || container.name,
              from.resourceFieldRef!.resource,
              from.resourceFieldRef!.divisor,
              input.node,
            );
      } catch (e) {
        if (e instanceof DownwardApiError) throw new PlanError('CreateContainerConfigError', e.message);
        throw e;
      }
    } else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const value = ownValue<string>(input.configMap(ref.name), ref.key);
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
      const value = ownValue<Buffer>(input.secret(ref.name), ref.key);
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

/** $(VAR) references to variables defined earlier; $$ escapes. Unknown references stay as written. */
export function expandVars(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(env, name) ? env[name]! : match;
  });
}

function resolveProbe(probe: Probe | undefined, input: PlanInput): ResolvedProbe | undefined {
  if (!probe) return undefined;
  const target = probe.httpGet ?? probe.tcpSocket;
  if (!target) return undefined; // exec probes are not run: treated as passing
  const port = mapProbePort(target.port, input);
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

/** A probe's port (a number, or the name of one of the container's ports) as its loopback port. */
function mapProbePort(port: number | string, input: PlanInput): number {
  const { container } = input;
  const podPort = resolvePodPort(input.pod, port, container);
  if (podPort === undefined)
    throw new PlanError(
      'CreateContainerConfigError',
      `probe port "${port}" is not a named port of container "${container.name}"`,
    );
  const hostPort = input.ports.byPodPort.get(podPort);
  if (hostPort === undefined)
    throw new PlanError(
      'CreateContainerConfigError',
      `probe port ${podPort} of container "${container.name}" has no loopback port on this node`,
    );
  return hostPort;
}

/** A path in NODE_OPTIONS: quoted when it has spaces or quotes (Node splits the variable on spaces). */
function nodeOptionQuote(path: string): string {
  return /[\s"\\]/.test(path) ? `"${path.replace(/[\\"]/g, '\\$&')}"` : path;
}
