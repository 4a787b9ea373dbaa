// The patch of client-node's private KubeConfig.createAgent: present in the pinned version, and it
// makes every request of a KubeConfig share one keep-alive agent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { closeConnections, enableConnectionReuse, usesConnectionReuse } from './connection-reuse.ts';

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

type WithAgent = { createAgent: (cluster: unknown, options: Record<string, unknown>) => unknown };

test('the pinned client-node still has the private createAgent(cluster, options) the patch replaces', () => {
  const createAgent = (KubeConfig.prototype as unknown as Partial<WithAgent>).createAgent;
  assert.equal(typeof createAgent, 'function');
  assert.equal(createAgent!.length, 2);
});

test('after the patch, requests of one KubeConfig share one keep-alive agent', () => {
  const kc = kubeConfig();
  enableConnectionReuse(kc);
  enableConnectionReuse(kc); // idempotent
  assert.ok(usesConnectionReuse(kc));
  const cluster = kc.getCurrentCluster();
  const agent = (kc as unknown as WithAgent).createAgent(cluster, { rejectUnauthorized: false });
  assert.equal((kc as unknown as WithAgent).createAgent(cluster, { rejectUnauthorized: false }), agent);
  assert.equal((agent as { keepAlive?: boolean }).keepAlive, true);
  closeConnections(kc);
});

test('a client without the private method makes the operator refuse to start, saying why', () => {
  const kc = kubeConfig();
  (kc as unknown as { createAgent: unknown }).createAgent = undefined;
  assert.throws(() => enableConnectionReuse(kc), /no KubeConfig\.createAgent\(cluster, options\).*update that file/);
});
