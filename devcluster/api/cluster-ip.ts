// ClusterIPs for Services. The cluster's service range is the /16 of 127/8 holding the kubernetes
// Service's address (127.N.M.1, picked at random when the cluster is made, cluster.ts): the node
// agent serves every ClusterIP on this host, as Linux routes all of 127/8 to lo. Addresses are handed
// out from just after the kubernetes Service's, wrapping around within the /16, so clusters on one
// host (whose starting /24s differ) share no address until one has hundreds of Services, and one
// cluster holds 65 533 of them, as k3s's 10.43.0.0/16 does (a /24 held 253, fewer than a 300-app
// GitOps repository needs).
import { ApiError } from './errors.ts';

/**
 * The first free address after the kubernetes Service's in its /16. Without a loopback kubernetes
 * Service (a store being seeded) the range is 127.43.0.0/16.
 */
export function allocateClusterIP(kubernetesIP: string | undefined, inUse: ReadonlySet<string>): string {
  const [net, third, fourth] = (/^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(kubernetesIP ?? '') ?? [0, 43, 0, 1])
    .slice(1)
    .map(Number) as [number, number, number];
  const start = (third << 8) | fourth;
  for (let step = 1; step < 0x10000; step++) {
    const host = (start + step) & 0xffff;
    if (host === 0 || host === 0xffff) continue; // the /16's network and broadcast addresses
    const ip = `127.${net}.${host >> 8}.${host & 0xff}`;
    if (!inUse.has(ip)) return ip;
  }
  throw new ApiError(
    500,
    'InternalError',
    `Internal error occurred: failed to allocate a serviceIP: range 127.${net}.0.0/16 is full`,
  );
}
