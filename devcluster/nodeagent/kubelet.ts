// The node agent's kubelet: binds pending pods to this node (once their claims are bound), sets up
// their volumes, runs each bound pod's containers as local processes (ContainerProcess), keeps
// projected volumes (ConfigMaps, Secrets, downward API) current, writes pod status (phase,
// conditions, container statuses, podIP 127.0.0.1) and finishes graceful deletions.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { deepEqual } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { Controller, tolerating } from '../controllers/controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { PlanError, planContainer, type Container } from './container-plan.ts';
import { findRuntime, type ImageTable } from './image-runtimes.ts';
import type { CommandOptions, RunningCommand } from '../streams/remote-command.ts';
import { execInvocation, findExecTools, startExec } from './container-exec.ts';
import { ContainerProcess, type RestartBackoff } from './container-process.ts';
import { freePort } from './ports.ts';
import { allocatePodPorts, portAnnotations, type PodPorts } from './pod-ports.ts';
import type { ClusterDns } from './cluster-dns.ts';
import type { HostFilesystem } from '../volumes/host-filesystem.ts';
import {
  claimNames,
  MountError,
  planPodVolumes,
  podVolumes,
  setUpPodVolumes,
  type VolumeSources,
} from '../volumes/pod-volumes.ts';
import { claimScheduling, SELECTED_NODE_ANNOTATION } from '../volumes/volume-binding.ts';

/** Loaded into every Node process of a pod (pod-network-preload.cjs: its ports and Service names). */
const POD_NETWORK_PRELOAD = fileURLToPath(new URL('./pod-network-preload.cjs', import.meta.url));

export interface KubeletOptions {
  nodeName: string;
  podsDir: string;
  images: ImageTable;
  backoff: RestartBackoff;
  /** Upper bound on how long a stopping process gets before SIGKILL. */
  maxGraceMs: number;
  apiServer: () => { host: string; port: number };
  /** The node's filesystem: hostPath volumes and the directories of local PersistentVolumes. */
  host: HostFilesystem;
  events: EventRecorder;
  schedulerEvents: EventRecorder;
  /** Service names for the pods' processes (a hosts file per namespace). */
  dns: ClusterDns;
}

interface PodWorker {
  uid: string;
  dir: string;
  ports: PodPorts;
  containers: ContainerProcess[];
  /** Containers that cannot start, with the kubelet's waiting reason. */
  blocked: Array<{ container: Container; reason: string; message: string }>;
  startTime: string;
  lastStatus?: unknown;
  refs: { configMaps: Set<string>; secrets: Set<string> };
  /** Each volume's directory, and whether it is projected (rewritten when its sources change). */
  volumes: Map<string, { dir: string; projected: boolean }>;
  /** The labels and annotations the downward API volumes last showed. */
  shownMeta: string;
}

/** A pod whose volumes could not be set up yet: retried with back-off and when its sources change. */
interface MountWait {
  uid: string;
  dir: string;
  attempts: number;
}

const NODE_ALLOCATABLE = { cpu: cpus().length, memory: totalmem() };

const ctx = () => systemContext('kubelet');

export class Kubelet extends Controller {
  private readonly workers = new Map<string, PodWorker>();
  private readonly mountWaits = new Map<string, MountWait>();
  /** Streaming sessions to end when their pod stops, by pod uid. */
  private readonly stopListeners = new Map<string, Set<() => void>>();
  private stopping = false;
  private readonly execTools = findExecTools();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    private readonly logger: Logger,
    private readonly opts: KubeletOptions,
  ) {
    super(cache, logger, { concurrency: 8 });
  }

  private type(plural: string): ResourceType {
    return this.catalog.lookup('', 'v1', plural)!;
  }

  start(): void {
    reapOrphans(this.opts.podsDir, this.logger);
    for (const pod of this.api.list(this.type('pods'), undefined).items) this.queue.add(keyOf(pod));
  }

  override async stop(): Promise<void> {
    this.stopping = true;
    await super.stop();
    await Promise.all([...this.workers.values()].map((w) => Promise.all(w.containers.map((c) => c.stop()))));
    this.workers.clear();
  }

  /** The log file of a container this kubelet runs for `pod` (its current run, or the `previous` one). */
  logFile(pod: KubeObject, container: string, previous = false): string | undefined {
    const worker = this.workers.get(keyOf(pod));
    if (!worker || worker.uid !== pod.metadata.uid) return undefined;
    return worker.containers.find((c) => c.name === container)?.logPath(previous);
  }

  /** The running worker of exactly this pod (same uid), or an Error for the streaming subresources. */
  private runningWorker(pod: KubeObject): PodWorker {
    const worker = this.workers.get(keyOf(pod));
    if (!worker || worker.uid !== pod.metadata.uid)
      throw new Error(
        `pod ${pod.metadata.namespace}/${pod.metadata.name} is not running on node ${this.opts.nodeName}`,
      );
    return worker;
  }

  /** pods/portforward: the loopback port behind one of the pod's ports. */
  portTarget(pod: KubeObject, port: number): { host: string; port: number } {
    const { ports } = this.runningWorker(pod);
    const mapped = ports.byPodPort.get(port);
    if (mapped !== undefined) return { host: '127.0.0.1', port: mapped };
    const known = [...ports.byPodPort.keys()];
    throw new Error(
      known.length === 0
        ? `pod declares no containerPort; devcluster runs pods as local processes and reaches them only on ` +
            `ports their containers declare`
        : `port ${port} is not reachable: devcluster runs pods as local processes and reaches them only on ` +
            `the ports their containers declare (${known.join(', ')})`,
    );
  }

  /** pods/exec: `command` in the container's environment (see container-exec.ts). */
  exec(pod: KubeObject, container: string, command: string[], options: CommandOptions): RunningCommand {
    const worker = this.runningWorker(pod);
    const spec = (pod.spec as { containers?: Container[] }).containers?.find((c) => c.name === container);
    const running = worker.containers.find((c) => c.name === container);
    if (!spec || !running?.status().started)
      throw new Error(`container ${container} is not running in pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    const plan = this.plan(pod, spec, worker.dir, worker.ports, worker.volumes);
    return startExec(execInvocation(plan, command, options.tty, this.execTools), command, options, this.execTools);
  }

  /** pods/attach: the running container's own stdio. */
  attach(pod: KubeObject, container: string, options: CommandOptions): RunningCommand {
    const running = this.runningWorker(pod).containers.find((c) => c.name === container);
    if (!running)
      throw new Error(`container ${container} is not running in pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    return running.attach(options);
  }

  /** Calls `listener` once this kubelet stops running `pod` (deleted, or replaced by a pod of the same name). */
  onPodStopped(pod: KubeObject, listener: () => void): () => void {
    const uid = pod.metadata.uid ?? '';
    let set = this.stopListeners.get(uid);
    if (!set) this.stopListeners.set(uid, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0 && this.stopListeners.get(uid) === set) this.stopListeners.delete(uid);
    };
  }

  protected onChange(change: Change): void {
    if (change.storageKey === '/pods') {
      const key = `${change.namespace}/${change.name}`;
      const labels = (o: typeof change.object | undefined) =>
        JSON.stringify([o?.metadata.labels, o?.metadata.annotations]);
      if (change.type === 'MODIFIED' && this.workers.has(key) && labels(change.object) !== labels(change.oldObject))
        this.queue.add(`refresh:${key}`);
      this.queue.add(key);
      return;
    }
    if (change.storageKey === '/persistentvolumeclaims' || change.storageKey === '/persistentvolumes') {
      // pods waiting to be scheduled or for their volumes
      for (const pod of this.api.list(this.type('pods'), change.namespace || undefined).items) {
        if (!(pod.spec as { nodeName?: string }).nodeName || this.mountWaits.has(keyOf(pod))) {
          if (claimNames(pod).length) this.queue.add(keyOf(pod));
        }
      }
      return;
    }
    const isCm = change.storageKey === '/configmaps';
    if (!isCm && change.storageKey !== '/secrets') return;
    for (const [key, w] of this.workers) {
      if (!key.startsWith(`${change.namespace}/`)) continue;
      if ((isCm ? w.refs.configMaps : w.refs.secrets).has(change.name)) this.queue.add(`refresh:${key}`);
    }
    for (const key of this.mountWaits.keys()) if (key.startsWith(`${change.namespace}/`)) this.queue.add(key);
  }

  protected async reconcile(key: string): Promise<void> {
    if (this.stopping) return;
    if (key.startsWith('refresh:')) return this.refreshVolumes(key.slice(8));
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.api.tryGet(this.type('pods'), namespace, name);
    const worker = this.workers.get(key);
    const wait = this.mountWaits.get(key);
    if (wait && (!pod || wait.uid !== pod.metadata.uid || pod.metadata.deletionTimestamp)) {
      this.mountWaits.delete(key);
      rmSync(wait.dir, { recursive: true, force: true });
    }
    if (!pod || (worker && worker.uid !== pod.metadata.uid)) {
      if (worker) await this.teardown(key, worker);
      if (!pod) return;
    }
    const nodeName = (pod.spec as { nodeName?: string }).nodeName;
    if (!nodeName) {
      if (!pod.metadata.deletionTimestamp) await this.bind(pod);
      return;
    }
    if (nodeName !== this.opts.nodeName) return;
    if (pod.metadata.deletionTimestamp) {
      const current = this.workers.get(key);
      if (current) await this.teardown(key, current, pod);
      await this.api
        .delete(
          this.type('pods'),
          namespace,
          name,
          { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } },
          ctx(),
        )
        .catch(tolerating(404, 409));
      return;
    }
    if (!this.workers.has(key)) await this.launch(key, pod);
    await this.writeStatus(key);
  }

  /** The scheduler's one decision on a one-node cluster: bind, once the pod's claims allow it. */
  private async bind(pod: KubeObject): Promise<void> {
    const namespace = pod.metadata.namespace!;
    const claims = this.catalog.lookup('', 'v1', 'persistentvolumeclaims')!;
    const classes = this.catalog.lookup('storage.k8s.io', 'v1', 'storageclasses')!;
    const check = claimScheduling(
      claimNames(pod),
      (name) => this.api.tryGet(claims, namespace, name),
      (name) => (name ? (this.api.tryGet(classes, '', name)?.volumeBindingMode as string | undefined) : undefined),
    );
    for (const claim of check.selectNodeFor) {
      await this.api
        .patch(
          claims,
          namespace,
          claim,
          'merge',
          { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: this.opts.nodeName } } },
          ctx(),
        )
        .catch(tolerating(404, 409));
    }
    if (check.unschedulable) return this.markUnschedulable(pod, check.unschedulable);
    if (check.waitingFor.length) return;
    const bound = await this.api
      .patch(
        this.type('pods'),
        pod.metadata.namespace!,
        pod.metadata.name!,
        'merge',
        { spec: { nodeName: this.opts.nodeName }, metadata: { resourceVersion: pod.metadata.resourceVersion } },
        ctx(),
      )
      .catch(tolerating(404, 409));
    if (bound)
      this.opts.schedulerEvents.record(
        bound,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${this.opts.nodeName}`,
      );
  }

  private async markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    const conditions = (pod.status as { conditions?: Array<{ type: string; message?: string }> } | undefined)
      ?.conditions;
    if (conditions?.find((c) => c.type === 'PodScheduled')?.message === message) return;
    this.opts.schedulerEvents.record(pod, 'Warning', 'FailedScheduling', message);
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: nowSeconds(),
    };
    await this.api
      .patch(
        this.type('pods'),
        pod.metadata.namespace!,
        pod.metadata.name!,
        'strategic',
        { status: { conditions: [condition] } },
        ctx(),
        { subresource: 'status' },
      )
      .catch(tolerating(404, 409));
  }

  /** What this pod's volumes are made of, read from its namespace now. */
  private volumeSources(namespace: string): VolumeSources {
    return {
      configMap: (name) => {
        const cm = this.api.tryGet(this.type('configmaps'), namespace, name);
        return cm && { data: cm.data as Record<string, string>, binaryData: cm.binaryData as Record<string, string> };
      },
      secret: (name) => {
        const s = this.api.tryGet(this.type('secrets'), namespace, name);
        if (!s) return undefined;
        return Object.fromEntries(
          Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
        );
      },
      claim: (name) => {
        const claim = this.api.tryGet(this.type('persistentvolumeclaims'), namespace, name);
        if (!claim) return undefined;
        const volumeName = (claim.spec as { volumeName?: string } | undefined)?.volumeName;
        const volume = volumeName ? this.api.tryGet(this.type('persistentvolumes'), '', volumeName) : undefined;
        return { claim, volume };
      },
      node: NODE_ALLOCATABLE,
    };
  }

  /** Sets up the pod's volumes; on failure records FailedMount and retries later. */
  private mountVolumes(key: string, pod: KubeObject, dir: string): PodWorker['volumes'] | undefined {
    try {
      const planned = planPodVolumes(pod, dir, this.volumeSources(pod.metadata.namespace!));
      const dirs = setUpPodVolumes(planned, this.opts.host);
      this.mountWaits.delete(key);
      return new Map(planned.map((v) => [v.name, { dir: dirs.get(v.name)!, projected: v.kind === 'projected' }]));
    } catch (e) {
      if (!(e instanceof MountError)) throw e;
      const wait = this.mountWaits.get(key) ?? { uid: pod.metadata.uid!, dir, attempts: 0 };
      wait.attempts++;
      this.mountWaits.set(key, wait);
      this.opts.events.record(
        pod,
        'Warning',
        'FailedMount',
        `MountVolume.SetUp failed for volume "${e.volume}" : ${e.message}`,
      );
      // the kubelet retries mounts on its sync loop; a change to the pod's sources retries at once
      this.queue.addAfter(key, Math.min(500 * 2 ** (wait.attempts - 1), 30_000));
      return undefined;
    }
  }

  private async launch(key: string, pod: KubeObject): Promise<void> {
    const dir = join(this.opts.podsDir, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
    const volumes = this.mountVolumes(key, pod, dir);
    if (!volumes) return this.writeWaitingStatus(pod);
    const ports = await allocatePodPorts(pod, freePort);
    const annotations = portAnnotations(ports);
    if (Object.entries(annotations).some(([k, v]) => pod.metadata.annotations?.[k] !== v)) {
      const patched = await this.api
        .patch(
          this.type('pods'),
          pod.metadata.namespace!,
          pod.metadata.name!,
          'merge',
          { metadata: { annotations } },
          ctx(),
        )
        .catch(tolerating(404, 409));
      if (!patched) return;
    }
    const statuses =
      (pod.status as { containerStatuses?: Array<{ name: string; restartCount?: number }> } | undefined)
        ?.containerStatuses ?? [];
    const worker: PodWorker = {
      uid: pod.metadata.uid!,
      dir,
      ports,
      containers: [],
      blocked: [],
      startTime: nowSeconds(),
      refs: references(pod),
      volumes,
      shownMeta: JSON.stringify([pod.metadata.labels, pod.metadata.annotations]),
    };
    this.workers.set(key, worker);
    const containers = (pod.spec as { containers?: Container[] }).containers ?? [];
    const grace = Math.min(
      Number((pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30) * 1000,
      this.opts.maxGraceMs,
    );
    containers.forEach((container) => {
      try {
        const plan = this.plan(pod, container, dir, ports, worker.volumes);
        const restarts = statuses.find((s) => s.name === container.name)?.restartCount ?? 0;
        const process = new ContainerProcess(
          container.name,
          container.image ?? '',
          plan,
          join(dir, 'logs', container.name),
          join(dir, `${container.name}.pid`),
          this.opts.backoff,
          grace,
          restarts,
          () => this.queue.add(key),
          (type, reason, message) => this.opts.events.record(pod, type, reason, message),
        );
        process.restartPolicy = restartPolicyOf(pod);
        worker.containers.push(process);
        process.start();
      } catch (e) {
        if (!(e instanceof PlanError)) throw e;
        worker.blocked.push({ container, reason: e.reason, message: e.message });
        // as the kubelet: an image that cannot be had is its own event reason, other failures are "Failed"
        if (e.reason === 'ErrImageNeverPull') this.opts.events.record(pod, 'Warning', e.reason, e.message);
        else this.opts.events.record(pod, 'Warning', 'Failed', `Error: ${e.reason}: ${e.message}`);
      }
    });
    this.logger.info(
      {
        pod: key,
        ports: annotations,
        containers: worker.containers.length,
        blocked: worker.blocked.map((b) => b.reason),
      },
      'pod started',
    );
  }

  private plan(pod: KubeObject, container: Container, dir: string, ports: PodPorts, volumes: PodWorker['volumes']) {
    const ns = pod.metadata.namespace!;
    const runtime = findRuntime(this.opts.images, container.image ?? '');
    return planContainer({
      pod,
      container,
      runtime,
      runnableImages: this.opts.images.map(([pattern]) => pattern),
      podDir: dir,
      volumes,
      node: NODE_ALLOCATABLE,
      ports,
      network: { preload: POD_NETWORK_PRELOAD, hostsFile: this.opts.dns.hostsFile(ns) },
      apiServer: this.opts.apiServer(),
      configMap: (name) => {
        const cm = this.api.tryGet(this.type('configmaps'), ns, name);
        return cm ? ((cm.data ?? {}) as Record<string, string>) : undefined;
      },
      secret: (name) => {
        const s = this.api.tryGet(this.type('secrets'), ns, name);
        if (!s) return undefined;
        return Object.fromEntries(
          Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
        );
      },
      baseEnv: baseEnvironment(),
    });
  }

  private async refreshVolumes(key: string): Promise<void> {
    const worker = this.workers.get(key);
    if (!worker) return;
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.api.tryGet(this.type('pods'), namespace, name);
    if (!pod || pod.metadata.uid !== worker.uid) return;
    try {
      // as the kubelet: projected volumes follow their sources; the rest is fixed at mount time
      const planned = planPodVolumes(pod, worker.dir, this.volumeSources(namespace));
      setUpPodVolumes(
        planned.filter((v) => v.kind === 'projected'),
        this.opts.host,
      );
      worker.shownMeta = JSON.stringify([pod.metadata.labels, pod.metadata.annotations]);
    } catch (e) {
      if (!(e instanceof MountError)) throw e;
      this.opts.events.record(
        pod,
        'Warning',
        'FailedMount',
        `MountVolume.SetUp failed for volume "${e.volume}" : ${e.message}`,
      );
    }
    const containers = (pod.spec as { containers?: Container[] }).containers ?? [];
    for (const process of worker.containers) {
      const container = containers.find((c) => c.name === process.name);
      if (!container) continue;
      try {
        process.replan(this.plan(pod, container, worker.dir, worker.ports, worker.volumes));
      } catch (e) {
        if (!(e instanceof PlanError)) throw e;
        this.logger.warn({ pod: key, err: e.message }, 'the container keeps its previous plan');
      }
    }
  }

  private async teardown(key: string, worker: PodWorker, pod?: KubeObject): Promise<void> {
    this.workers.delete(key);
    const listeners = this.stopListeners.get(worker.uid);
    this.stopListeners.delete(worker.uid);
    for (const listener of listeners ?? []) listener();
    if (pod)
      for (const c of worker.containers)
        this.opts.events.record(pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
    // as the kubelet: a deletion's own grace period (`kubectl delete --grace-period`) wins over the spec's
    const deletionGrace = pod?.metadata.deletionGracePeriodSeconds;
    const graceMs = deletionGrace === undefined ? undefined : Math.min(deletionGrace * 1000, this.opts.maxGraceMs);
    await Promise.all(worker.containers.map((c) => c.stop(graceMs)));
    rmSync(worker.dir, { recursive: true, force: true });
    this.logger.info({ pod: key }, 'pod stopped');
  }

  /** A pod whose volumes are not ready: its containers wait in ContainerCreating. */
  private async writeWaitingStatus(pod: KubeObject): Promise<void> {
    const containers = (pod.spec as { containers?: Container[] }).containers ?? [];
    const current = (pod.status ?? {}) as { containerStatuses?: unknown[] };
    if (current.containerStatuses?.length === containers.length) return;
    const now = nowSeconds();
    const condition = (type: string, ok: boolean) => ({
      type,
      status: ok ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    const status = {
      phase: 'Pending',
      conditions: [
        condition('PodReadyToStartContainers', false),
        condition('Initialized', true),
        condition('Ready', false),
        condition('ContainersReady', false),
        condition('PodScheduled', true),
      ],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      startTime: now,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
      })),
      qosClass: 'BestEffort',
    };
    await this.api
      .patch(this.type('pods'), pod.metadata.namespace!, pod.metadata.name!, 'merge', { status }, ctx(), {
        subresource: 'status',
      })
      .catch(tolerating(404, 409));
  }

  private async writeStatus(key: string): Promise<void> {
    const worker = this.workers.get(key);
    if (!worker) return;
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.api.tryGet(this.type('pods'), namespace, name);
    if (!pod || pod.metadata.uid !== worker.uid || pod.metadata.deletionTimestamp) return;
    const status = podStatus(worker, pod);
    if (deepEqual(status, worker.lastStatus)) return;
    const previous = (pod.status ?? {}) as {
      conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
    };
    for (const c of status.conditions) {
      const prev = previous.conditions?.find((p) => p.type === c.type);
      c.lastTransitionTime =
        prev && prev.status === c.status ? (prev.lastTransitionTime ?? nowSeconds()) : nowSeconds();
    }
    await this.api
      .patch(this.type('pods'), namespace, name, 'merge', { status }, ctx(), { subresource: 'status' })
      .catch(tolerating(404, 409));
    worker.lastStatus = podStatus(worker, pod);
  }
}

function podStatus(worker: PodWorker, pod: KubeObject) {
  const containerStatuses = [
    ...worker.containers.map((c) => c.status()),
    ...worker.blocked.map((b) => ({
      name: b.container.name,
      image: b.container.image ?? '',
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason: b.reason, message: b.message } },
      lastState: {},
    })),
  ];
  const order = ((pod.spec as { containers?: Container[] }).containers ?? []).map((c) => c.name);
  containerStatuses.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const allReady = containerStatuses.length > 0 && containerStatuses.every((s) => s.ready);
  const running = containerStatuses.some((s) => s.started || s.restartCount > 0);
  // every container done for good (restartPolicy Never/OnFailure): the pod is Succeeded or Failed
  const finished =
    worker.blocked.length === 0 && worker.containers.length > 0 ? worker.containers.map((c) => c.finished()) : [];
  const terminal = finished.length > 0 && finished.every((f) => f !== undefined);
  const phase = terminal
    ? finished.every((f) => f!.exitCode === 0)
      ? 'Succeeded'
      : 'Failed'
    : running
      ? 'Running'
      : 'Pending';
  const condition = (type: string, ok: boolean, reason?: string) => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: '' as string,
    ...(reason ? { reason } : {}),
  });
  const completed = terminal ? 'PodCompleted' : undefined;
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', !terminal),
      condition('Initialized', true, completed),
      condition('Ready', allReady, completed),
      condition('ContainersReady', allReady, completed),
      condition('PodScheduled', true),
    ],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: worker.startTime,
    containerStatuses,
    qosClass: 'BestEffort',
  };
}

function restartPolicyOf(pod: KubeObject): 'Always' | 'OnFailure' | 'Never' {
  const policy = (pod.spec as { restartPolicy?: string }).restartPolicy;
  return policy === 'Never' || policy === 'OnFailure' ? policy : 'Always';
}

/** The ConfigMaps and Secrets a pod's volumes and environment read. */
function references(pod: KubeObject): PodWorker['refs'] {
  const refs = { configMaps: new Set<string>(), secrets: new Set<string>() };
  for (const v of podVolumes(pod)) {
    const vol = v as {
      configMap?: { name: string };
      secret?: { secretName: string };
      projected?: { sources?: Array<{ configMap?: { name: string }; secret?: { name: string } }> };
    };
    if (vol.configMap) refs.configMaps.add(vol.configMap.name);
    if (vol.secret) refs.secrets.add(vol.secret.secretName);
    for (const s of vol.projected?.sources ?? []) {
      if (s.configMap) refs.configMaps.add(s.configMap.name);
      if (s.secret) refs.secrets.add(s.secret.name);
    }
  }
  for (const c of (pod.spec as { containers?: Container[] }).containers ?? []) {
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef) refs.configMaps.add(e.configMapRef.name);
      if (e.secretRef) refs.secrets.add(e.secretRef.name);
    }
    for (const e of c.env ?? []) {
      const from = e.valueFrom as { configMapKeyRef?: { name: string }; secretKeyRef?: { name: string } } | undefined;
      if (from?.configMapKeyRef) refs.configMaps.add(from.configMapKeyRef.name);
      if (from?.secretKeyRef) refs.secrets.add(from.secretKeyRef.name);
    }
  }
  return refs;
}

/** What every process needs from the host to run at all; the container's own env comes on top. */
function baseEnvironment(): Record<string, string> {
  const keep = ['PATH', 'LANG', 'TZ', 'TMPDIR', 'NODE_OPTIONS', 'NODE_PATH'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
}

/**
 * Processes a previous agent started and could not stop (its process was killed): each pod dir
 * records its container pids. A pid is only signalled when its environment still has HOME=<pod dir>
 * (set for every container), so a recycled pid is never hit. Linux only (/proc); elsewhere orphans
 * are left alone.
 */
function reapOrphans(podsDir: string, logger: Logger): void {
  if (!existsSync('/proc/self/environ') || !existsSync(podsDir)) return;
  for (const podDir of readdirSync(podsDir)) {
    const dir = join(podsDir, podDir);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(dir, file), 'utf8').trim());
      let environ = '';
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        continue;
      }
      if (!environ.split('\0').includes(`HOME=${dir}`)) continue;
      logger.warn({ pid, podDir }, 'stopping a pod process left over from a previous run');
      for (const target of [-pid, pid]) {
        try {
          // the container's process group (it leads one), and the process itself
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}
