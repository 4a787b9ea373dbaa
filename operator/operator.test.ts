import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startOperator } from './operator.ts';

/** A kubeconfig for a port nothing listens on. */
async function unreachableCluster(): Promise<KubeConfig> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

test('stop() returns promptly while the API server is unreachable (SIGTERM must not hang)', {
  timeout: 20_000,
}, async () => {
  for (const leaderElection of [false, undefined] as const) {
    const op = await startOperator({
      kubeConfig: await unreachableCluster(),
      defaultImage: 'workflow-engine:test',
      leaderElection,
      metricsPort: 0,
      logger: pino({ level: 'silent' }),
    });
    const health = await fetch(`${op.metricsUrl}/healthz`);
    assert.equal(health.status, 200);
    await new Promise((r) => setTimeout(r, 1_500));
    const t = Date.now();
    await op.stop();
    assert.ok(Date.now() - t < 3_000, `stopped in ${Date.now() - t} ms`);
  }
});
