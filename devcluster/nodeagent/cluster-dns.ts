// Cluster DNS without a DNS server: one hosts file per namespace, naming every Service that has a
// reachable ClusterIP (a 127.x loopback address its proxy listens on) as a pod of that namespace
// would resolve it through CoreDNS and its resolv.conf search path:
//   NAME.NS.svc.cluster.local, NAME.NS.svc, NAME.NS   everywhere, and NAME within NS.
// Pods read their namespace's file: `kubectl exec` binds it at /etc/hosts (PRoot) and the pod-network
// preload answers Node's dns.lookup from it. Files are replaced atomically, so a reader never sees
// half a file, and only rewritten when their content changes.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CLUSTER_DOMAIN = 'cluster.local';

export interface ServiceAddress {
  name: string;
  namespace: string;
  clusterIP: string;
}

/** The names a pod in `viewer` resolves to this Service's ClusterIP. */
export function serviceHostNames(service: ServiceAddress, viewer: string): string[] {
  const { name, namespace } = service;
  const names = [`${name}.${namespace}.svc.${CLUSTER_DOMAIN}`, `${name}.${namespace}.svc`, `${name}.${namespace}`];
  return namespace === viewer ? [...names, name] : names;
}

/** A ClusterIP this node can serve: an IPv4 loopback address (not 127.0.0.1, which is the node's own). */
export function isLoopbackClusterIP(ip: unknown): ip is string {
  return typeof ip === 'string' && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip) && ip !== '127.0.0.1';
}

/** The hosts file of `namespace` (pure): the host's own entries, then the Services. */
export function renderHostsFile(namespace: string, services: ServiceAddress[], base: string): string {
  const lines = [
    base.trimEnd(),
    '',
    `# devcluster cluster DNS for pods in namespace ${namespace} (written by the node agent)`,
  ];
  const sorted = [...services].sort((a, b) =>
    a.namespace === b.namespace ? a.name.localeCompare(b.name) : a.namespace.localeCompare(b.namespace),
  );
  for (const s of sorted)
    if (isLoopbackClusterIP(s.clusterIP)) lines.push(`${s.clusterIP}\t${serviceHostNames(s, namespace).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export class ClusterDns {
  private services: ServiceAddress[] = [];
  private readonly base: string;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    let base = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
    try {
      base = readFileSync('/etc/hosts', 'utf8');
    } catch {
      // no host file to start from: localhost only
    }
    this.base = base;
  }

  /** The hosts file pods of `namespace` read (written now when it does not exist yet). */
  hostsFile(namespace: string): string {
    const file = this.fileOf(namespace);
    if (!existsSync(file)) this.write(namespace);
    return file;
  }

  /** Every Service with its ClusterIP: rewrites the namespace files whose content changes. */
  update(services: ServiceAddress[]): void {
    this.services = services.filter((s) => isLoopbackClusterIP(s.clusterIP));
    const namespaces = new Set(readdirSync(this.dir).filter((f) => !f.startsWith('.')));
    for (const namespace of namespaces) this.write(namespace);
  }

  private fileOf(namespace: string): string {
    return join(this.dir, namespace, 'hosts');
  }

  private write(namespace: string): void {
    const file = this.fileOf(namespace);
    const text = renderHostsFile(namespace, this.services, this.base);
    try {
      if (readFileSync(file, 'utf8') === text) return;
    } catch {
      mkdirSync(join(this.dir, namespace), { recursive: true });
    }
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, file);
  }
}
