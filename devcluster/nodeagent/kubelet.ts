// The node agent's kubelet: binds pending pods to this node, runs each bound pod's containers as
// local processes (ContainerProcess), keeps mounted ConfigMaps/Secrets current, writes pod status
// (phase, conditions, container statuses, podIP 127.0.0.1) and finishes graceful deletions.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { deepEqual } from '../logic/schema.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { Controller, tolerating } from '../controllers/controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { imageName, PlanError, planContainer, type Container, type ImageRuntime } from './container-plan.ts';
import { ContainerProcess, type RestartBackoff } from './container-process.ts';
import { freePort } from './ports.ts';

export const PORT_ANNOTATION = 'devcluster.io/port';

export interface KubeletOptions {
  nodeName: string;
  podsDir: string;
  images: Record<string, ImageRuntime>;
  backoff: RestartBackoff;
  /** Upper bound on how long a stopping process gets before SIGKILL. */
  maxGraceMs: number;
  apiServer: () => { host: string; port: number };
  events: EventRecorder;
  schedulerEvents: EventRecorder;
}

interface PodWorker {
  uid: string;
  dir: string;
  port: number;
  containers: ContainerProcess[];
  /** Containers that cannot start, with the kubelet's waiting reason. */
  blocked: Array<{ container: Container; reason: string; message: string }>;
  startTime: string;
  lastStatus?: unknown;
  refs: { configMaps: Set<string>; secrets: Set<string> };
}

const ctx = () => systemContext('kubelet');

export class Kubelet extends Controller {
  private readonly workers = new Map<string, PodWorker>();
  private stopping = false;

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

  /** The log file of a container this kubelet runs (or ran) for `pod`. */
  logFile(pod: KubeObject, container: string): string | undefined {
    const worker = this.workers.get(keyOf(pod));
    if (!worker || worker.uid !== pod.metadata.uid || !worker.containers.some((c) => c.name === container))
      return undefined;
    return join(worker.dir, 'logs', `${container}.log`);
  }

  protected onChange(change: Change): void {
    if (change.storageKey === '/pods') {
      this.queue.add(`${change.namespace}/${change.name}`);
      return;
    }
    const isCm = change.storageKey === '/configmaps';
    if (!isCm && change.storageKey !== '/secrets') return;
    for (const [key, w] of this.workers) {
      if (!key.startsWith(`${change.namespace}/`)) continue;
      if ((isCm ? w.refs.configMaps : w.refs.secrets).has(change.name)) this.queue.add(`refresh:${key}`);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    if (this.stopping) return;
    if (key.startsWith('refresh:')) return this.refreshVolumes(key.slice(8));
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.api.tryGet(this.type('pods'), namespace, name);
    const worker = this.workers.get(key);
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

  /** The scheduler's one decision on a one-node cluster. */
  private async bind(pod: KubeObject): Promise<void> {
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

  private async launch(key: string, pod: KubeObject): Promise<void> {
    const dir = join(this.opts.podsDir, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
    const previous = Number(pod.metadata.annotations?.[PORT_ANNOTATION] ?? 0);
    const port = await freePort(previous);
    if (String(port) !== pod.metadata.annotations?.[PORT_ANNOTATION]) {
      const patched = await this.api
        .patch(
          this.type('pods'),
          pod.metadata.namespace!,
          pod.metadata.name!,
          'merge',
          { metadata: { annotations: { [PORT_ANNOTATION]: String(port) } } },
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
      port,
      containers: [],
      blocked: [],
      startTime: nowSeconds(),
      refs: references(pod),
    };
    this.workers.set(key, worker);
    const containers = (pod.spec as { containers?: Container[] }).containers ?? [];
    const grace = Math.min(
      Number((pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30) * 1000,
      this.opts.maxGraceMs,
    );
    containers.forEach((container, index) => {
      try {
        const plan = this.plan(pod, container, dir, port);
        const restarts = statuses.find((s) => s.name === container.name)?.restartCount ?? 0;
        const process = new ContainerProcess(
          container.name,
          container.image ?? '',
          plan,
          join(dir, 'logs', `${container.name}.log`),
          join(dir, `${container.name}.pid`),
          this.opts.backoff,
          grace,
          restarts,
          () => this.queue.add(key),
          (type, reason, message) => this.opts.events.record(pod, type, reason, message),
        );
        worker.containers.push(process);
        process.start();
        if (index > 0 && container.ports?.length)
          this.logger.warn({ pod: key, container: container.name }, 'only the first container gets the pod port');
      } catch (e) {
        if (!(e instanceof PlanError)) throw e;
        worker.blocked.push({ container, reason: e.reason, message: e.message });
        this.opts.events.record(pod, 'Warning', 'Failed', `Error: ${e.reason}: ${e.message}`);
      }
    });
    this.logger.info(
      { pod: key, port, containers: worker.containers.length, blocked: worker.blocked.map((b) => b.reason) },
      'pod started',
    );
  }

  private plan(pod: KubeObject, container: Container, dir: string, port: number) {
    const ns = pod.metadata.namespace!;
    const runtime = this.opts.images[imageName(container.image ?? '')];
    return planContainer({
      pod,
      container,
      runtime,
      runnableImages: Object.keys(this.opts.images),
      podDir: dir,
      hostPort: port,
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
    if (!pod) return;
    const containers = (pod.spec as { containers?: Container[] }).containers ?? [];
    for (const process of worker.containers) {
      const container = containers.find((c) => c.name === process.name);
      if (!container) continue;
      try {
        process.materialise(this.plan(pod, container, worker.dir, worker.port));
      } catch (e) {
        this.logger.warn({ pod: key, err: (e as Error).message }, 'could not refresh mounted volumes');
      }
    }
  }

  private async teardown(key: string, worker: PodWorker, pod?: KubeObject): Promise<void> {
    this.workers.delete(key);
    if (pod)
      for (const c of worker.containers)
        this.opts.events.record(pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
    await Promise.all(worker.containers.map((c) => c.stop()));
    rmSync(worker.dir, { recursive: true, force: true });
    this.logger.info({ pod: key }, 'pod stopped');
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
  const condition = (type: string, ok: boolean) => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: '' as string,
  });
  return {
    phase: running ? 'Running' : 'Pending',
    conditions: [
      condition('PodReadyToStartContainers', true),
      condition('Initialized', true),
      condition('Ready', allReady),
      condition('ContainersReady', allReady),
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

function references(pod: KubeObject): PodWorker['refs'] {
  const refs = { configMaps: new Set<string>(), secrets: new Set<string>() };
  for (const v of (pod.spec as { volumes?: Array<{ configMap?: { name: string }; secret?: { secretName: string } }> })
    .volumes ?? []) {
    if (v.configMap) refs.configMaps.add(v.configMap.name);
    if (v.secret) refs.secrets.add(v.secret.secretName);
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
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}
