import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { startOperator } from './operator.ts';

/** A kubeconfig for an "API server" that drops every connection, and a count of the attempts. */
async function unreachableCluster(): Promise<{ kc: KubeConfig; attempts: () => number; close: () => void }> {
  let attempts = 0;
  const server = createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { kc, attempts: () => attempts, close: () => server.close() };
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('stop() returns while the API server is unreachable (SIGTERM must not hang)', {
  timeout: 60_000,
}, async () => {
  for (const leaderElection of [false, undefined] as const) {
    const cluster = await unreachableCluster();
    const op = await startOperator({
      kubeConfig: cluster.kc,
      defaultImage: 'workflow-engine:test',
      leaderElection,
      metricsPort: 0,
      logger: pino({ level: 'silent' }),
    });
    const health = await fetch(`${op.metricsUrl}/healthz`);
    assert.equal(health.status, 200);
    // the operator is in its retry loop once the server has dropped a couple of its connections
    await until('connection attempts', () => cluster.attempts() >= 2, 30_000);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((r) => {
      timer = setTimeout(() => r('hung'), 15_000);
    });
    const outcome = await Promise.race([op.stop().then(() => 'stopped' as const), hung]);
    clearTimeout(timer);
    cluster.close();
    assert.equal(outcome, 'stopped', `leaderElection=${leaderElection}: stop() still pending after 15 s`);
  }
});
