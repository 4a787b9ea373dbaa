import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../resources/object-meta.ts';
import {
  allocatePodPorts,
  declaredPorts,
  podPortsOf,
  portAnnotations,
  portTableEnv,
  resolvePodPort,
} from './pod-ports.ts';

const pod = (annotations: Record<string, string> = {}): KubeObject => ({
  metadata: { name: 'p', namespace: 'ns', annotations },
  spec: {
    containers: [
      {
        name: 'server',
        ports: [
          { name: 'http', containerPort: 8080 },
          { name: 'admin', containerPort: 8081 },
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
        ],
        readinessProbe: { httpGet: { port: 8080 } },
        livenessProbe: { httpGet: { port: 9100 } },
      },
      { name: 'sidecar', ports: [{ name: 'metrics', containerPort: 9090 }] },
    ],
  },
});

test('declared ports: every TCP containerPort of every container, then numbered probe ports', () => {
  assert.deepEqual(declaredPorts(pod()), [8080, 8081, 9090, 9100]);
  assert.equal(resolvePodPort(pod(), 'admin'), 8081);
  assert.equal(resolvePodPort(pod(), 'metrics'), 9090);
  assert.equal(resolvePodPort(pod(), '8443'), 8443);
  assert.equal(resolvePodPort(pod(), 'nope'), undefined);
});

test('allocation: a loopback port per pod port, previous ones kept, the first containerPort is primary', async () => {
  let next = 40000;
  const free = async (preferred: number) => (preferred > 0 ? preferred : next++);
  const first = await allocatePodPorts(pod(), free);
  assert.deepEqual(
    [...first.byPodPort],
    [
      [8080, 40000],
      [8081, 40001],
      [9090, 40002],
      [9100, 40003],
    ],
  );
  assert.equal(first.primary, 40000);
  assert.equal(portTableEnv(first), '8080=40000,8081=40001,9090=40002,9100=40003');
  const recorded = pod(portAnnotations(first));
  assert.deepEqual(podPortsOf(recorded), first);
  const again = await allocatePodPorts(recorded, free);
  assert.deepEqual(again, first, 'a relaunch keeps the recorded ports when they are free');
  // two pod ports may not share one loopback port even when the OS offers it twice
  let offered = 0;
  const stingy = async () => (offered++ < 2 ? 41000 : 41000 + offered);
  const distinct = await allocatePodPorts(pod(), stingy);
  assert.equal(new Set(distinct.byPodPort.values()).size, 4);
});

test('a pod without ports gets one port, and unreadable annotations fall back to it', async () => {
  const bare: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } };
  const ports = await allocatePodPorts(bare, async () => 45000);
  assert.deepEqual(ports, { primary: 45000, byPodPort: new Map() });
  assert.equal(podPortsOf(bare), undefined);
  assert.deepEqual(podPortsOf(pod({ 'devcluster.io/port': '45000', 'devcluster.io/ports': '{oops' })), {
    primary: 45000,
    byPodPort: new Map(),
  });
});
