// client-node 1.4 builds a new https.Agent for every request: a new TLS context (the CA parsed
// again) and a new connection with a full handshake each time. Under an operator's request rate
// that is most of its CPU (and the API server's). This swaps in one keep-alive agent per distinct
// TLS configuration. It patches a private method of the pinned 1.4.0 client: when an upgrade removes
// it, the operator refuses to start with a message saying so (and connection-reuse.test.ts fails).
import { createHash } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

type AgentFactory = (
  cluster: { server?: string; proxyUrl?: string; skipTLSVerify?: boolean } | null,
  options: Record<string, unknown>,
) => http.Agent;
const pooled = Symbol('pooledAgents');
const idleSocketMs = 4_000;

function fingerprint(server: string | undefined, options: Record<string, unknown>): string {
  const h = createHash('sha256').update(server ?? '');
  for (const key of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername']) {
    const v = options[key];
    h.update(`\0${key}=`);
    if (v !== undefined) h.update(Buffer.isBuffer(v) ? v : String(v));
  }
  return h.digest('hex');
}

/** Makes every client built from `kc` (APIs, watches, informers) reuse connections. Idempotent. */
export function enableConnectionReuse(kc: KubeConfig): void {
  const target = kc as unknown as { createAgent?: AgentFactory; [pooled]?: Map<string, http.Agent> };
  if (target[pooled]) return;
  if (typeof target.createAgent !== 'function' || target.createAgent.length !== 2)
    throw new Error(
      'this @kubernetes/client-node has no KubeConfig.createAgent(cluster, options), the private method ' +
        'operator/kube/connection-reuse.ts patches (written for 1.4.0): update that file for this version',
    );
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, http.Agent>();
  target[pooled] = agents;
  target.createAgent = (cluster, options) => {
    if (cluster?.proxyUrl) return original(cluster, options);
    const key = fingerprint(cluster?.server, options);
    let agent = agents.get(key);
    if (!agent) {
      const plain = cluster?.server?.startsWith('http:');
      if (plain) return original(cluster, options); // keeps client-node's http-requires-skipTLSVerify rule
      // Idle sockets are dropped after 4 s: before a server's keep-alive timeout (Node's default is
      // 5 s) can close one under a request that is just reusing it.
      agent = new https.Agent({
        ...options,
        keepAlive: true,
        timeout: (options.timeout as number | undefined) ?? idleSocketMs,
      });
      agents.set(key, agent);
    }
    return agent;
  };
}

/** Closes the pooled connections (on shutdown). */
export function closeConnections(kc: KubeConfig): void {
  const agents = (kc as unknown as { [pooled]?: Map<string, http.Agent> })[pooled];
  for (const a of agents?.values() ?? []) a.destroy();
  agents?.clear();
}

export function usesConnectionReuse(kc: KubeConfig): boolean {
  return !!(kc as unknown as { [pooled]?: unknown })[pooled];
}
