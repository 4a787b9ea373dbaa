// A pod's ports on a node without network namespaces. Every pod port (each containerPort of each
// container, and each numbered probe port) gets a loopback port of its own on 127.0.0.1, recorded
// on the pod, so Services, probes and port-forward find it and the pod's processes are told where to
// listen (WORKFLOW_ADDR/PORT for the container's first port, and the whole table for the
// pod-network preload, which moves a Node process's `listen(8081)` to its loopback port).
import type { KubeObject } from '../resources/object-meta.ts';
import type { Container, Probe } from './container-plan.ts';

/** The loopback port of the pod's first port (the one WORKFLOW_ADDR and PORT name). */
export const PORT_ANNOTATION = 'devcluster.io/port';
/** Every pod port and its loopback port, as JSON: {"8080": 41021, "8081": 41022}. */
export const PORTS_ANNOTATION = 'devcluster.io/ports';

export interface PodPorts {
  /** The loopback port of the pod's first containerPort (any free port when it declares none). */
  primary: number;
  /** pod port (containerPort) -> loopback port */
  byPodPort: Map<number, number>;
}

function containers(pod: KubeObject): Container[] {
  return (pod.spec as { containers?: Container[] } | undefined)?.containers ?? [];
}

const isTcp = (p: { protocol?: string }) => (p.protocol ?? 'TCP').toUpperCase() === 'TCP';

/** The pod's ports in order: every TCP containerPort, then numbered probe ports not declared. */
export function declaredPorts(pod: KubeObject): number[] {
  const out: number[] = [];
  const add = (port: unknown) => {
    if (typeof port === 'number' && Number.isInteger(port) && port > 0 && !out.includes(port)) out.push(port);
  };
  for (const c of containers(pod)) for (const p of c.ports ?? []) if (isTcp(p)) add(p.containerPort);
  for (const c of containers(pod)) {
    for (const probe of [c.readinessProbe, c.livenessProbe] as Array<Probe | undefined>)
      add((probe?.httpGet ?? probe?.tcpSocket)?.port);
  }
  return out;
}

/** A port as a Service's targetPort or a probe names it (a number, or a containerPort's name). */
export function resolvePodPort(pod: KubeObject, port: number | string, container?: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const candidates = container ? [container] : containers(pod);
  return candidates.flatMap((c) => c.ports ?? []).find((p) => p.name === port)?.containerPort;
}

/** The ports recorded on a pod by the kubelet, or undefined before it ran the pod. */
export function podPortsOf(pod: KubeObject): PodPorts | undefined {
  const primary = Number(pod.metadata.annotations?.[PORT_ANNOTATION]);
  if (!Number.isInteger(primary) || primary <= 0) return undefined;
  const byPodPort = new Map<number, number>();
  try {
    const recorded = JSON.parse(pod.metadata.annotations?.[PORTS_ANNOTATION] ?? '{}') as Record<string, unknown>;
    for (const [k, v] of Object.entries(recorded))
      if (/^\d+$/.test(k) && typeof v === 'number') byPodPort.set(Number(k), v);
  } catch {
    // an annotation someone edited: only the primary port is known
  }
  return { primary, byPodPort };
}

/** The annotations that record `ports` on the pod. */
export function portAnnotations(ports: PodPorts): Record<string, string> {
  return {
    [PORT_ANNOTATION]: String(ports.primary),
    [PORTS_ANNOTATION]: JSON.stringify(Object.fromEntries(ports.byPodPort)),
  };
}

/**
 * Loopback ports for every pod port, keeping the ones recorded before (a restarted agent gives a
 * running pod's Service the same backends) when they are still free.
 */
export async function allocatePodPorts(
  pod: KubeObject,
  freePort: (preferred: number) => Promise<number>,
): Promise<PodPorts> {
  const previous = podPortsOf(pod);
  const taken = new Set<number>();
  const pick = async (preferred: number) => {
    let port = await freePort(taken.has(preferred) ? 0 : preferred);
    while (taken.has(port)) port = await freePort(0);
    taken.add(port);
    return port;
  };
  const byPodPort = new Map<number, number>();
  for (const port of declaredPorts(pod)) byPodPort.set(port, await pick(previous?.byPodPort.get(port) ?? 0));
  const first = containers(pod)
    .flatMap((c) => c.ports ?? [])
    .find(isTcp)?.containerPort;
  const primary = first !== undefined ? byPodPort.get(first)! : await pick(previous?.primary ?? 0);
  return { primary, byPodPort };
}

/** The loopback port a container's WORKFLOW_ADDR/PORT name: its own first port, else the pod's. */
export function containerPrimaryPort(container: Container, ports: PodPorts): number {
  const own = (container.ports ?? []).find(isTcp)?.containerPort;
  return (own !== undefined ? ports.byPodPort.get(own) : undefined) ?? ports.primary;
}

/** DEVCLUSTER_POD_PORTS for the pod-network preload: "8080=41021,8081=41022". */
export function portTableEnv(ports: PodPorts): string {
  return [...ports.byPodPort].map(([pod, host]) => `${pod}=${host}`).join(',');
}
