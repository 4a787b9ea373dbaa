// The local node agent: one Node ("devcluster") whose kubelet runs pods as local processes, plus the
// controllers that make workloads run on it (Deployment -> ReplicaSet -> Pod, Job, CronJob,
// StatefulSet, DaemonSet) and the service controller (Endpoints/EndpointSlices, ClusterIP proxies and
// names, loopback load balancers and node ports).
import { mkdirSync } from 'node:fs';
import { hostname, totalmem, cpus } from 'node:os';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.ts';
import type { PodRuntime } from '../api/pod-streams.ts';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import { defaultImageTable, type ImageRuntime, type ImageTable } from './image-runtimes.ts';
import type { RestartBackoff } from './container-process.ts';
import { EventRecorder } from '../controllers/event-recorder.ts';
import { DeploymentController } from './deployment-controller.ts';
import { Kubelet } from './kubelet.ts';
import { ReplicaSetController } from './replicaset-controller.ts';
import { ServiceController } from './service-controller.ts';
import { CronJobController } from '../workloads/cronjob-controller.ts';
import { DaemonSetController } from '../workloads/daemonset-controller.ts';
import { JobController } from '../workloads/job-controller.ts';
import { StatefulSetController } from '../workloads/statefulset-controller.ts';
import { ClusterDns } from './cluster-dns.ts';
import type { HostFilesystem } from '../volumes/host-filesystem.ts';

export type { ImageRuntime, ImageTable };

export interface NodeAgentOptions {
  /**
   * Image pattern -> how to run it (see image-runtimes.ts), replacing the built-in table: our engine
   * ("workflow-engine:*", run as `node <repo>/bin/wfctl.js <args>`) and upstream's server images.
   * A pattern without a tag means any tag ("tiny-engine" = "tiny-engine:*").
   */
  images?: Record<string, ImageRuntime>;
  /** More mappings, tried before the others (`wfctl devcluster --runtimes FILE`). */
  extraImages?: ImageTable;
  /** Rename the default engine image (ignored when `images` is given). */
  engineImage?: string;
  /** CrashLoopBackOff timing (default 1 s doubling to 30 s). */
  restartBackoff?: RestartBackoff;
  /** Cap on a stopping process's grace period before SIGKILL (default 10 s). */
  maxGraceMs?: number;
  /**
   * A LoadBalancer Service listens on 127.0.0.1 at its own port when that port is free (so
   * `curl 127.0.0.1:8080` reaches a Service of port 8080), else at any free port. For interactive
   * use (`wfctl devcluster`); off by default, so tests and embedders only ever bind ephemeral ports.
   */
  loadBalancerServicePorts?: boolean;
}

export const NODE_NAME = 'devcluster';

export class NodeAgent {
  private readonly kubelet: Kubelet;
  private readonly replicaSets: ReplicaSetController;
  private readonly deployments: DeploymentController;
  private readonly services: ServiceController;
  /** Jobs, CronJobs, StatefulSets and DaemonSets (kube-controller-manager's workload controllers). */
  private readonly workloads: Array<{ start(): void; stop(): Promise<void> }>;

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    options: NodeAgentOptions & {
      dataDir: string;
      /** Where the cluster's hosts files live (cluster-dns.ts). */
      dnsDir: string;
      apiServer: () => { host: string; port: number };
      /** The node's filesystem (hostPath volumes, local PersistentVolumes). */
      host: HostFilesystem;
    },
  ) {
    mkdirSync(options.dataDir, { recursive: true });
    const recorder = (component: string) => new EventRecorder(api, catalog, component, logger);
    const dns = new ClusterDns(options.dnsDir);
    this.kubelet = new Kubelet(api, catalog, cache, logger, {
      nodeName: NODE_NAME,
      podsDir: options.dataDir,
      images: [
        ...(options.extraImages ?? []),
        ...(options.images ? Object.entries(options.images) : defaultImageTable(options.engineImage)),
      ],
      backoff: options.restartBackoff ?? { initialMs: 1000, maxMs: 30_000 },
      maxGraceMs: options.maxGraceMs ?? 10_000,
      apiServer: options.apiServer,
      host: options.host,
      events: recorder('kubelet'),
      schedulerEvents: recorder('default-scheduler'),
      dns,
    });
    this.replicaSets = new ReplicaSetController(api, catalog, cache, logger, recorder('replicaset-controller'));
    this.deployments = new DeploymentController(api, catalog, cache, logger, recorder('deployment-controller'));
    this.services = new ServiceController(api, catalog, cache, logger, NODE_NAME, dns, recorder('service-controller'), {
      preferServicePorts: options.loadBalancerServicePorts ?? false,
    });
    this.workloads = [
      new JobController(api, catalog, cache, logger, recorder('job-controller')),
      new CronJobController(api, catalog, cache, logger, recorder('cronjob-controller')),
      new StatefulSetController(api, catalog, cache, logger, recorder('statefulset-controller')),
      new DaemonSetController(api, catalog, cache, logger, recorder('daemonset-controller'), NODE_NAME),
    ];
  }

  async start(): Promise<void> {
    await this.registerNode();
    this.kubelet.start();
    this.replicaSets.start();
    this.deployments.start();
    this.services.start();
    for (const c of this.workloads) c.start();
  }

  /** pods/exec, pods/attach and pods/portforward on this node. */
  runtime(): PodRuntime {
    const kubelet = this.kubelet;
    return {
      portTarget: (pod, port) => kubelet.portTarget(pod, port),
      exec: (pod, container, command, options) => kubelet.exec(pod, container, command, options),
      attach: (pod, container, options) => kubelet.attach(pod, container, options),
      onPodStopped: (pod, listener) => kubelet.onPodStopped(pod, listener),
    };
  }

  /** pods/log: where a container's output is written (undefined when this node does not run it). */
  logFile(pod: KubeObject, container: string, previous = false): string | undefined {
    return this.kubelet.logFile(pod, container, previous);
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.deployments.stop(),
      this.replicaSets.stop(),
      this.services.stop(),
      ...this.workloads.map((c) => c.stop()),
    ]);
    await this.kubelet.stop();
  }

  private async registerNode(): Promise<void> {
    const type = this.catalog.lookup('', 'v1', 'nodes')!;
    const ctx = systemContext('kubelet');
    const now = nowSeconds();
    const capacity = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' };
    const status = {
      capacity,
      allocatable: capacity,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'devcluster node agent is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: hostname() },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.4-devcluster',
        kubeProxyVersion: 'v1.32.4-devcluster',
        operatingSystem: process.platform,
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        containerRuntimeVersion: `devcluster-local-process://node-${process.version}`,
        osImage: `${process.platform}`,
        kernelVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    };
    if (!this.api.tryGet(type, '', NODE_NAME)) {
      await this.api
        .create(
          type,
          '',
          {
            metadata: {
              name: NODE_NAME,
              labels: {
                'kubernetes.io/hostname': NODE_NAME,
                'kubernetes.io/os': process.platform,
                'kubernetes.io/arch': status.nodeInfo.architecture,
                'node-role.kubernetes.io/control-plane': '',
              },
            },
            spec: {},
          },
          ctx,
        )
        .catch((e) => {
          if (!(e instanceof ApiError && e.code === 409)) throw e;
        });
    }
    await this.api.patch(type, '', NODE_NAME, 'merge', { status }, ctx, { subresource: 'status' });
  }
}
