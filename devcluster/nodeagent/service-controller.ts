// Services on a one-node loopback cluster: Endpoints and EndpointSlices list the pods selected by a
// Service (ready and not ready), pointing at each pod's loopback port; a Service of type
// LoadBalancer gets an HTTP load balancer on 127.0.0.1 (its own port when free, else any) that
// round-robins requests over the ready pods, recorded in status.loadBalancer.ingress.
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
import { PORT_ANNOTATION } from './kubelet.ts';
import { podReadySince } from './replicaset-controller.ts';
import { freePort } from './ports.ts';
import { HttpLoadBalancer } from './http-load-balancer.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';

const ctx = () => systemContext('endpoint-controller');
const MANAGED_BY = 'endpointslice-controller.k8s.io';

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}
interface ServiceSpec {
  type?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
}
interface PodContainer {
  ports?: Array<{ name?: string; containerPort: number }>;
}

interface Backend {
  pod: KubeObject;
  ready: boolean;
  /** service port name -> the pod's loopback port serving it */
  ports: Map<string, number>;
}

export class ServiceController extends Controller {
  /** service key -> service port (name/number) -> proxy */
  private readonly proxies = new Map<string, Map<string, HttpLoadBalancer>>();
  /** service key -> node port -> proxy listening on 127.0.0.1:<nodePort> */
  private readonly nodePorts = new Map<string, Map<number, HttpLoadBalancer>>();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    logger: Logger,
    private readonly nodeName: string,
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
  }

  override async stop(): Promise<void> {
    await super.stop();
    for (const ports of this.proxies.values()) for (const p of ports.values()) await p.close();
    this.proxies.clear();
    for (const ports of this.nodePorts.values()) for (const p of ports.values()) await p.close();
    this.nodePorts.clear();
  }

  protected onChange(change: Change): void {
    if (change.storageKey === '/services') {
      this.queue.add(`${change.namespace}/${change.name}`);
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
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.api.tryGet(this.type('', 'services'), namespace, name);
    if (!svc || svc.metadata.deletionTimestamp) {
      await this.closeProxies(key);
      await this.closeNodePorts(key);
      const endpoints = this.api.tryGet(this.type('', 'endpoints'), namespace, name);
      if (endpoints?.metadata.labels?.['endpoints.kubernetes.io/managed-by'] === 'endpoint-controller') {
        await this.api.delete(this.type('', 'endpoints'), namespace, name, {}, ctx()).catch(tolerating(404, 409));
      }
      return;
    }
    const spec = svc.spec as ServiceSpec;
    if (!spec.selector || Object.keys(spec.selector).length === 0) {
      // no selector: the user manages the Endpoints; a load balancer has nothing to balance
      await this.syncLoadBalancer(key, svc, []);
      await this.syncNodePorts(key, svc, []);
      return;
    }
    const sel = fromLabelSelectorObject({ matchLabels: spec.selector });
    const backends: Backend[] = this.api
      .list(this.type('', 'pods'), namespace)
      .items.filter((p) => matchesLabels(sel, p.metadata.labels ?? {}) && p.metadata.annotations?.[PORT_ANNOTATION])
      .map((pod) => ({
        pod,
        ready: !pod.metadata.deletionTimestamp && podReadySince(pod) !== undefined,
        ports: portsFor(spec.ports ?? [], pod),
      }))
      .filter((b) => b.ports.size > 0);
    await this.syncEndpoints(svc, backends);
    await this.syncEndpointSlices(svc, backends);
    await this.syncLoadBalancer(key, svc, backends);
    await this.syncNodePorts(key, svc, backends);
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
      const sliceName = `${svc.metadata.name}-${createHash('sha256').update(b.pod.metadata.uid!).digest('hex').slice(0, 5)}`;
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
      labelSelector: `kubernetes.io/service-name=${svc.metadata.name},endpointslice.kubernetes.io/managed-by=${MANAGED_BY}`,
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

  private async syncLoadBalancer(key: string, svc: KubeObject, backends: Backend[]): Promise<void> {
    const spec = svc.spec as ServiceSpec;
    const svcType = this.type('', 'services');
    if (spec.type !== 'LoadBalancer') {
      await this.closeProxies(key);
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
    for (const p of spec.ports ?? []) {
      const k = portKey(p);
      let proxy = proxies.get(k);
      if (!proxy) {
        proxy = new HttpLoadBalancer(`${svc.metadata.namespace}/${svc.metadata.name}`);
        await proxy.listen(await freePort(this.opts.preferServicePorts && p.port >= 1024 ? p.port : 0));
        proxies.set(k, proxy);
      }
      proxy.setBackends(backends.filter((b) => b.ready && b.ports.has(k)).map((b) => b.ports.get(k)!));
      ports.push({ port: proxy.port, protocol: p.protocol ?? 'TCP' });
    }
    for (const [k, proxy] of proxies) {
      if (!(spec.ports ?? []).some((p) => portKey(p) === k)) {
        await proxy.close();
        proxies.delete(k);
      }
    }
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
   * A Service's node ports (NodePort and LoadBalancer types): the same load balancer, listening on
   * 127.0.0.1:<nodePort>, as kube-proxy makes a node port reach the Service on every node address.
   */
  private async syncNodePorts(key: string, svc: KubeObject, backends: Backend[]): Promise<void> {
    const ports = ((svc.spec as ServiceSpec).ports ?? []) as Array<ServicePort & { nodePort?: number }>;
    let open = this.nodePorts.get(key);
    if (!open) this.nodePorts.set(key, (open = new Map()));
    const wanted = new Map(ports.filter((p) => typeof p.nodePort === 'number').map((p) => [p.nodePort!, p]));
    for (const [nodePort, proxy] of open) {
      if (!wanted.has(nodePort)) {
        await proxy.close();
        open.delete(nodePort);
      }
    }
    for (const [nodePort, p] of wanted) {
      let proxy = open.get(nodePort);
      if (!proxy) {
        proxy = new HttpLoadBalancer(`${svc.metadata.namespace}/${svc.metadata.name}`);
        try {
          await proxy.listen(nodePort);
        } catch (e) {
          this.events.record(
            svc,
            'Warning',
            'NodePortUnavailable',
            `node port ${nodePort} is in use on this host (${(e as Error).message}); the Service is not reachable on it`,
          );
          continue;
        }
        open.set(nodePort, proxy);
      }
      const k = portKey(p);
      proxy.setBackends(backends.filter((b) => b.ready && b.ports.has(k)).map((b) => b.ports.get(k)!));
    }
    if (open.size === 0) this.nodePorts.delete(key);
  }

  private async closeNodePorts(key: string): Promise<void> {
    const open = this.nodePorts.get(key);
    this.nodePorts.delete(key);
    for (const p of open?.values() ?? []) await p.close();
  }

  private async closeProxies(key: string): Promise<void> {
    const proxies = this.proxies.get(key);
    if (!proxies) return;
    this.proxies.delete(key);
    for (const p of proxies.values()) await p.close();
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

/** The pod's loopback port for each service port whose targetPort is the pod's first container port. */
function portsFor(servicePorts: ServicePort[], pod: KubeObject): Map<string, number> {
  const hostPort = Number(pod.metadata.annotations?.[PORT_ANNOTATION]);
  const containers = (pod.spec as { containers?: PodContainer[] }).containers ?? [];
  const first = containers.find((c) => c.ports?.length)?.ports?.[0];
  const out = new Map<string, number>();
  for (const p of servicePorts) {
    const target = p.targetPort ?? p.port;
    const containerPort =
      typeof target === 'number'
        ? target
        : containers.flatMap((c) => c.ports ?? []).find((cp) => cp.name === target)?.containerPort;
    if (containerPort !== undefined && (first === undefined || containerPort === first.containerPort))
      out.set(portKey(p), hostPort);
  }
  return out;
}

function targetRef(pod: KubeObject) {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}
