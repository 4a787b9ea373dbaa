// Services on a one-node loopback cluster: Endpoints and EndpointSlices list the pods selected by a
// Service (ready and not ready), pointing at each pod's loopback port. Like kube-proxy, every Service
// with a ClusterIP (a loopback address, 127.43.x.y) gets a TCP proxy on ClusterIP:port for each of
// its ports, over the ready endpoints (the selected pods, or the Endpoints a Service without a
// selector is given), and its names in the cluster's hosts files (cluster-dns.ts). A Service of type
// LoadBalancer also gets an HTTP load balancer on 127.0.0.1 (its own port when asked and free, else any) that
// round-robins requests over the ready pods, recorded in status.loadBalancer.ingress, and a Service
// with node ports (NodePort and LoadBalancer types) the same on 127.0.0.1:<nodePort>.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { deepEqual } from '../logic/schema.ts';
import { fromLabelSelectorObject, matchesLabels } from '../logic/selectors.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import { Controller, tolerating } from '../controllers/controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { podReadySince } from './replicaset-controller.ts';
import { freePort } from './ports.ts';
import { podPortsOf, resolvePodPort } from './pod-ports.ts';
import { type Backend as ProxyTarget, ServiceLoadBalancer } from './service-load-balancer.ts';
import { type ClusterDns, isLoopbackClusterIP } from './cluster-dns.ts';

const ctx = () => systemContext('endpoint-controller');
const MANAGED_BY = 'endpointslice-controller.k8s.io';

interface ServicePort {
  name?: string;
  port: number;
  nodePort?: number;
  targetPort?: number | string;
  protocol?: string;
}
interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
}
interface EndpointSubset {
  addresses?: Array<{ ip: string }>;
  ports?: Array<{ name?: string; port: number; protocol?: string }>;
}

/** Where the proxies queue the cluster's hosts files to be rewritten. */
const DNS_KEY = 'dns:';
/** How soon a ClusterIP port that could not be bound is tried again. */
const BIND_RETRY_MS = 30_000;

interface Backend {
  pod: KubeObject;
  ready: boolean;
  /** service port name -> the pod's loopback port serving it */
  ports: Map<string, number>;
}

export class ServiceController extends Controller {
  /** service key -> `cluster:<port>` / `lb:<port>` / `node:<nodePort>` -> proxy */
  private readonly proxies = new Map<string, Map<string, ServiceLoadBalancer>>();
  /** service key + proxy key -> why its ClusterIP port could not be bound (one event per reason) */
  private readonly bindFailures = new Map<string, string>();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    private readonly logger: Logger,
    private readonly nodeName: string,
    private readonly dns: ClusterDns,
    private readonly events: EventRecorder,
    private readonly opts: { preferServicePorts: boolean },
  ) {
    super(cache, logger);
  }

  private type(group: string, plural: string): ResourceType {
    return this.catalog.lookup(group, 'v1', plural)!;
  }

  start(): void {
    for (const svc of this.api.list(this.type('', 'services'), undefined).items)
      this.queue.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
    this.queue.add(DNS_KEY);
  }

  override async stop(): Promise<void> {
    await super.stop();
    for (const ports of this.proxies.values()) for (const p of ports.values()) await p.close();
    this.proxies.clear();
  }

  protected onChange(change: Change): void {
    if (change.storageKey === '/services') {
      this.queue.add(`${change.namespace}/${change.name}`);
      this.queue.add(DNS_KEY);
      return;
    }
    if (change.storageKey === '/endpoints') {
      // the Endpoints of a Service without a selector are its proxies' targets
      const svc = this.api.tryGet(this.type('', 'services'), change.namespace, change.name);
      if (svc && !hasSelector(svc)) this.queue.add(`${change.namespace}/${change.name}`);
      return;
    }
    if (change.storageKey !== '/pods') return;
    const labels = [change.object, change.oldObject].map(
      (o) => (o as unknown as KubeObject | undefined)?.metadata.labels ?? {},
    );
    for (const svc of this.api.list(this.type('', 'services'), change.namespace).items) {
      const selector = (svc.spec as ServiceSpec).selector;
      if (!selector || Object.keys(selector).length === 0) continue;
      const sel = fromLabelSelectorObject({ matchLabels: selector });
      if (labels.some((l) => matchesLabels(sel, l))) this.queue.add(`${change.namespace}/${svc.metadata.name}`);
    }
  }

  protected async reconcile(key: string): Promise<void> {
    if (key === DNS_KEY) return this.syncDns();
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.api.tryGet(this.type('', 'services'), namespace, name);
    if (!svc || svc.metadata.deletionTimestamp) {
      await this.closeProxies(key, () => true);
      const endpoints = this.api.tryGet(this.type('', 'endpoints'), namespace, name);
      if (endpoints?.metadata.labels?.['endpoints.kubernetes.io/managed-by'] === 'endpoint-controller') {
        await this.api.delete(this.type('', 'endpoints'), namespace, name, {}, ctx()).catch(tolerating(404, 409));
      }
      return;
    }
    const spec = svc.spec as ServiceSpec;
    let targets: Map<string, ProxyTarget[]>;
    if (!hasSelector(svc)) {
      // no selector: the user manages the Endpoints, and the proxies follow them
      targets = endpointTargets(spec.ports ?? [], this.api.tryGet(this.type('', 'endpoints'), namespace, name));
    } else {
      const sel = fromLabelSelectorObject({ matchLabels: spec.selector! });
      const backends: Backend[] = this.api
        .list(this.type('', 'pods'), namespace)
        .items.filter((p) => matchesLabels(sel, p.metadata.labels ?? {}) && podPortsOf(p))
        .map((pod) => ({
          pod,
          ready: !pod.metadata.deletionTimestamp && podReadySince(pod) !== undefined,
          ports: portsFor(spec.ports ?? [], pod),
        }))
        .filter((b) => b.ports.size > 0);
      await this.syncEndpoints(svc, backends);
      await this.syncEndpointSlices(svc, backends);
      targets = new Map(
        (spec.ports ?? []).map((p) => [
          portKey(p),
          backends
            .filter((b) => b.ready && b.ports.has(portKey(p)))
            .map((b) => ({ host: '127.0.0.1', port: b.ports.get(portKey(p))! })),
        ]),
      );
    }
    await this.syncClusterIP(key, svc, targets);
    await this.syncLoadBalancer(key, svc, targets);
    await this.syncNodePorts(key, svc, targets);
  }

  /** Every Service's names in the namespaces' hosts files. */
  private syncDns(): void {
    this.dns.update(
      this.api.list(this.type('', 'services'), undefined).items.map((s) => ({
        name: s.metadata.name!,
        namespace: s.metadata.namespace!,
        clusterIP: String((s.spec as ServiceSpec).clusterIP ?? ''),
      })),
    );
  }

  /** kube-proxy's part: ClusterIP:port forwards connections to the port's ready endpoints. */
  private async syncClusterIP(key: string, svc: KubeObject, targets: Map<string, ProxyTarget[]>): Promise<void> {
    const spec = svc.spec as ServiceSpec;
    const clusterIP = spec.clusterIP;
    const wanted = new Set<string>();
    if (isLoopbackClusterIP(clusterIP) && spec.type !== 'ExternalName') {
      let proxies = this.proxies.get(key);
      if (!proxies) this.proxies.set(key, (proxies = new Map()));
      for (const p of spec.ports ?? []) {
        if ((p.protocol ?? 'TCP') !== 'TCP') continue;
        const k = `cluster:${portKey(p)}`;
        wanted.add(k);
        let proxy = proxies.get(k);
        if (proxy && (proxy.host !== clusterIP || proxy.port !== p.port)) {
          await proxy.close();
          proxies.delete(k);
          proxy = undefined;
        }
        if (!proxy) {
          const candidate = new ServiceLoadBalancer(`${svc.metadata.namespace}/${svc.metadata.name}`, 'tcp');
          try {
            await candidate.listen(p.port, clusterIP);
          } catch (e) {
            this.bindFailed(key, k, svc, `${clusterIP}:${p.port}`, e as NodeJS.ErrnoException);
            continue;
          }
          this.bindFailures.delete(`${key} ${k}`);
          proxies.set(k, (proxy = candidate));
        }
        proxy.setBackends(targets.get(portKey(p)) ?? []);
      }
    }
    await this.closeProxies(key, (k) => k.startsWith('cluster:') && !wanted.has(k));
  }

  private bindFailed(key: string, proxyKey: string, svc: KubeObject, address: string, e: NodeJS.ErrnoException): void {
    const why =
      e.code === 'EACCES'
        ? `binding port ${address} needs privileges (root, CAP_NET_BIND_SERVICE, or a lower ` +
          `net.ipv4.ip_unprivileged_port_start)`
        : e.code === 'EADDRINUSE'
          ? `${address} is in use by another process on this host (one listening on all addresses on that port?)`
          : `cannot listen on ${address}: ${e.message}`;
    if (this.bindFailures.get(`${key} ${proxyKey}`) !== why) {
      this.bindFailures.set(`${key} ${proxyKey}`, why);
      this.events.record(svc, 'Warning', 'ClusterIPNotReachable', `the ClusterIP is not served on this port: ${why}`);
      this.logger.warn({ service: key, address, err: e.message }, 'cannot serve a ClusterIP port');
    }
    // another process may let go of the port; missing privileges stay missing
    if (e.code === 'EADDRINUSE') this.queue.addAfter(key, BIND_RETRY_MS);
  }

  private async syncEndpoints(svc: KubeObject, backends: Backend[]): Promise<void> {
    const spec = svc.spec as ServiceSpec;
    const subsets = backends.map((b) => {
      const address = { ip: '127.0.0.1', nodeName: this.nodeName, targetRef: targetRef(b.pod) };
      return {
        ...(b.ready ? { addresses: [address] } : { notReadyAddresses: [address] }),
        ports: (spec.ports ?? [])
          .filter((p) => b.ports.has(portKey(p)))
          .map((p) => ({
            ...(p.name ? { name: p.name } : {}),
            port: b.ports.get(portKey(p))!,
            protocol: p.protocol ?? 'TCP',
          })),
      };
    });
    const desired = {
      metadata: {
        name: svc.metadata.name,
        namespace: svc.metadata.namespace,
        labels: { ...svc.metadata.labels, 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' },
      },
      ...(subsets.length ? { subsets } : {}),
    };
    await this.upsert(this.type('', 'endpoints'), svc.metadata.namespace!, svc.metadata.name!, desired);
  }

  private async syncEndpointSlices(svc: KubeObject, backends: Backend[]): Promise<void> {
    const sliceType = this.type('discovery.k8s.io', 'endpointslices');
    const spec = svc.spec as ServiceSpec;
    const wanted = new Map<string, Record<string, unknown>>();
    // every pod listens on its own loopback port, and a slice's ports apply to all of its endpoints: one slice per pod
    for (const b of backends) {
      const sliceName =
        `${svc.metadata.name}-` + `${createHash('sha256').update(b.pod.metadata.uid!).digest('hex').slice(0, 5)}`;
      wanted.set(sliceName, {
        metadata: {
          name: sliceName,
          namespace: svc.metadata.namespace,
          labels: {
            'kubernetes.io/service-name': svc.metadata.name!,
            'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
          },
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Service',
              name: svc.metadata.name!,
              uid: svc.metadata.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        addressType: 'IPv4',
        endpoints: [
          {
            addresses: ['127.0.0.1'],
            conditions: { ready: b.ready, serving: b.ready, terminating: Boolean(b.pod.metadata.deletionTimestamp) },
            nodeName: this.nodeName,
            targetRef: targetRef(b.pod),
          },
        ],
        ports: (spec.ports ?? [])
          .filter((p) => b.ports.has(portKey(p)))
          .map((p) => ({
            ...(p.name ? { name: p.name } : {}),
            port: b.ports.get(portKey(p))!,
            protocol: p.protocol ?? 'TCP',
          })),
      });
    }
    const existing = this.api.list(sliceType, svc.metadata.namespace, {
      labelSelector:
        `kubernetes.io/service-name=${svc.metadata.name},endpointslice.kubernetes.io/managed-by=` + `${MANAGED_BY}`,
    }).items;
    for (const slice of existing) {
      if (!wanted.has(slice.metadata.name!))
        await this.api
          .delete(sliceType, svc.metadata.namespace!, slice.metadata.name!, {}, ctx())
          .catch(tolerating(404, 409));
    }
    for (const [sliceName, desired] of wanted)
      await this.upsert(sliceType, svc.metadata.namespace!, sliceName, desired);
  }

  private async syncLoadBalancer(key: string, svc: KubeObject, targets: Map<string, ProxyTarget[]>): Promise<void> {
    const spec = svc.spec as ServiceSpec;
    const svcType = this.type('', 'services');
    if (spec.type !== 'LoadBalancer') {
      await this.closeProxies(key, (k) => k.startsWith('lb:'));
      const ingress = (svc.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
      if (ingress?.length)
        await this.api
          .patch(
            svcType,
            svc.metadata.namespace!,
            svc.metadata.name!,
            'merge',
            { status: { loadBalancer: { ingress: null } } },
            ctx(),
            { subresource: 'status' },
          )
          .catch(tolerating(404, 409));
      return;
    }
    let proxies = this.proxies.get(key);
    if (!proxies) this.proxies.set(key, (proxies = new Map()));
    const ports: Array<{ port: number; protocol: string }> = [];
    const wanted = new Set<string>();
    for (const p of spec.ports ?? []) {
      const k = `lb:${portKey(p)}`;
      wanted.add(k);
      let proxy = proxies.get(k);
      if (!proxy) {
        proxy = new ServiceLoadBalancer(`${svc.metadata.namespace}/${svc.metadata.name}`, 'http');
        await proxy.listen(await freePort(this.opts.preferServicePorts && p.port >= 1024 ? p.port : 0));
        proxies.set(k, proxy);
      }
      proxy.setBackends(targets.get(portKey(p)) ?? []);
      ports.push({ port: proxy.port, protocol: p.protocol ?? 'TCP' });
    }
    await this.closeProxies(key, (k) => k.startsWith('lb:') && !wanted.has(k));
    const ingress = [{ ip: '127.0.0.1', ipMode: 'VIP', ports }];
    const current = (svc.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
    if (!deepEqual(current, ingress)) {
      await this.api
        .patch(
          svcType,
          svc.metadata.namespace!,
          svc.metadata.name!,
          'merge',
          { status: { loadBalancer: { ingress } } },
          ctx(),
          { subresource: 'status' },
        )
        .catch(tolerating(404, 409));
    }
  }

  /**
   * A Service's node ports (NodePort and LoadBalancer types): an HTTP load balancer on
   * 127.0.0.1:<nodePort>, as kube-proxy makes a node port reach the Service on every node address.
   */
  private async syncNodePorts(key: string, svc: KubeObject, targets: Map<string, ProxyTarget[]>): Promise<void> {
    const ports = ((svc.spec as ServiceSpec).ports ?? []).filter((p) => typeof p.nodePort === 'number');
    const wanted = new Set(ports.map((p) => `node:${p.nodePort}`));
    await this.closeProxies(key, (k) => k.startsWith('node:') && !wanted.has(k));
    if (ports.length === 0) return;
    let proxies = this.proxies.get(key);
    if (!proxies) this.proxies.set(key, (proxies = new Map()));
    for (const p of ports) {
      const k = `node:${p.nodePort}`;
      let proxy = proxies.get(k);
      if (!proxy) {
        proxy = new ServiceLoadBalancer(`${svc.metadata.namespace}/${svc.metadata.name}`, 'http');
        try {
          await proxy.listen(p.nodePort!);
        } catch (e) {
          this.events.record(
            svc,
            'Warning',
            'NodePortUnavailable',
            `node port ${p.nodePort} is in use on this host (${(e as Error).message}); the Service is not ` +
              `reachable on it`,
          );
          continue;
        }
        proxies.set(k, proxy);
      }
      proxy.setBackends(targets.get(portKey(p)) ?? []);
    }
    if (proxies.size === 0) this.proxies.delete(key);
  }

  /** Closes the service's proxies whose key `which` selects. */
  private async closeProxies(key: string, which: (proxyKey: string) => boolean): Promise<void> {
    const proxies = this.proxies.get(key);
    if (!proxies) return;
    for (const [k, proxy] of proxies) {
      if (!which(k)) continue;
      proxies.delete(k);
      await proxy.close();
    }
    if (proxies.size === 0) this.proxies.delete(key);
  }

  /** Create or replace an object this controller owns, skipping writes that change nothing. */
  private async upsert(
    type: ResourceType,
    namespace: string,
    name: string,
    desired: Record<string, unknown>,
  ): Promise<void> {
    const current = this.api.tryGet(type, namespace, name);
    if (!current) {
      await this.api.create(type, namespace, desired, ctx()).catch(tolerating(404, 409));
      return;
    }
    const { metadata: desiredMeta, ...body } = desired as { metadata: Record<string, unknown> };
    const { metadata: _m, apiVersion: _a, kind: _k, ...currentBody } = current;
    if (deepEqual(body, currentBody) && deepEqual(desiredMeta.labels, current.metadata.labels)) return;
    await this.api
      .update(
        type,
        namespace,
        name,
        {
          ...body,
          metadata: {
            ...current.metadata,
            labels: desiredMeta.labels,
            ownerReferences: desiredMeta.ownerReferences ?? current.metadata.ownerReferences,
          },
        },
        ctx(),
      )
      .catch(tolerating(404, 409));
  }
}

function portKey(p: ServicePort): string {
  return p.name || String(p.port);
}

function hasSelector(svc: KubeObject): boolean {
  return Object.keys((svc.spec as ServiceSpec).selector ?? {}).length > 0;
}

/**
 * The pod's loopback port for each service port whose targetPort (a number, or a containerPort's
 * name) is one of the pod's ports. A pod that declares no port is reached on its one port.
 */
function portsFor(servicePorts: ServicePort[], pod: KubeObject): Map<string, number> {
  const ports = podPortsOf(pod)!;
  const declaresNone = ports.byPodPort.size === 0;
  const out = new Map<string, number>();
  for (const p of servicePorts) {
    const podPort = resolvePodPort(pod, p.targetPort ?? p.port);
    const hostPort = declaresNone ? ports.primary : podPort !== undefined ? ports.byPodPort.get(podPort) : undefined;
    if (hostPort !== undefined) out.set(portKey(p), hostPort);
  }
  return out;
}

/** The ready addresses of a selector-less Service's Endpoints for each of its ports (by port name). */
function endpointTargets(servicePorts: ServicePort[], endpoints: KubeObject | undefined): Map<string, ProxyTarget[]> {
  const subsets = ((endpoints as { subsets?: EndpointSubset[] } | undefined)?.subsets ?? []) as EndpointSubset[];
  const out = new Map<string, ProxyTarget[]>();
  for (const p of servicePorts) {
    const targets: ProxyTarget[] = [];
    for (const subset of subsets) {
      const port =
        subset.ports?.find((ep) => (ep.name ?? '') === (p.name ?? '')) ??
        (servicePorts.length === 1 && subset.ports?.length === 1 ? subset.ports[0] : undefined);
      if (!port) continue;
      for (const a of subset.addresses ?? []) targets.push({ host: a.ip, port: port.port });
    }
    out.set(portKey(p), targets);
  }
  return out;
}

function targetRef(pod: KubeObject) {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}
