import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appSummary,
  durationMs,
  eventView,
  podView,
  sortEvents,
  sourceDetail,
  sourceSummary,
  tenantSummary,
} from './views.ts';

test('an app summary reads phase, replicas, endpoint, source and tenant', () => {
  const app = {
    metadata: {
      name: 'shop',
      namespace: 'team-a',
      creationTimestamp: new Date('2026-01-02T03:04:05Z'),
      labels: { 'workflow.gocodealone.com/tenant': 'acme' },
      annotations: { 'workflow.gocodealone.com/source': 'platform/apps' },
    },
    spec: { replicas: 3, strategy: { type: 'Canary' } },
    status: {
      phase: 'Progressing',
      readyReplicas: 2,
      endpoint: 'http://127.0.0.1:8080',
      revision: 'abc',
      conditions: [{ type: 'Ready', status: 'False', reason: 'RollingOut', message: '2 of 3 ready' }],
    },
  };
  assert.deepEqual(appSummary(app), {
    namespace: 'team-a',
    name: 'shop',
    phase: 'Progressing',
    replicas: 3,
    readyReplicas: 2,
    endpoint: 'http://127.0.0.1:8080',
    source: 'platform/apps',
    tenant: 'acme',
    revision: 'abc',
    strategy: 'Canary',
    message: '2 of 3 ready',
    createdAt: '2026-01-02T03:04:05.000Z',
  });
});

test('an app without status reads as Pending (Suspended when suspended), never a crash', () => {
  assert.equal(appSummary({ metadata: { name: 'x', namespace: 'd' }, spec: {} }).phase, 'Pending');
  assert.equal(appSummary({ metadata: { name: 'x', namespace: 'd' }, spec: { suspend: true } }).phase, 'Suspended');
  const odd = appSummary({ metadata: 'nonsense', spec: [], status: { conditions: 'x', readyReplicas: '2' } });
  assert.equal(odd.name, '');
  assert.equal(odd.readyReplicas, 0);
  assert.equal(odd.replicas, 1);
  assert.equal(appSummary({ spec: { tenant: 'from-spec' } }).tenant, 'from-spec');
});

test('pods: ready, restarts, waiting reason, terminating', () => {
  const pod = {
    metadata: { name: 'shop-1', labels: { 'workflow.gocodealone.com/track': 'canary' } },
    status: {
      phase: 'Running',
      startTime: new Date('2026-01-01T00:00:00Z'),
      containerStatuses: [{ ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
    },
  };
  assert.deepEqual(podView(pod), {
    name: 'shop-1',
    phase: 'Running',
    ready: false,
    restarts: 4,
    track: 'canary',
    startedAt: '2026-01-01T00:00:00.000Z',
    reason: 'CrashLoopBackOff',
  });
  assert.equal(podView({ metadata: { name: 'p', deletionTimestamp: '2026-01-01T00:00:00Z' } }).phase, 'Terminating');
  assert.equal(podView({ metadata: { name: 'p' }, status: { containerStatuses: [] } }).ready, false);
});

test('events: core/v1 and events.k8s.io shapes, newest first', () => {
  const core = eventView({
    type: 'Warning',
    reason: 'Invalid',
    message: 'bad config',
    involvedObject: { kind: 'WorkflowApp', name: 'shop' },
    count: 3,
    lastTimestamp: new Date('2026-01-01T00:00:02Z'),
  });
  const modern = eventView({
    reason: 'Scheduled',
    note: 'assigned',
    regarding: { kind: 'Pod', name: 'shop-1' },
    series: { count: 2, lastObservedTime: '2026-01-01T00:00:05Z' },
  });
  assert.deepEqual(core, {
    type: 'Warning',
    reason: 'Invalid',
    message: 'bad config',
    object: 'WorkflowApp/shop',
    count: 3,
    lastSeen: '2026-01-01T00:00:02.000Z',
  });
  assert.equal(modern.message, 'assigned');
  assert.equal(modern.count, 2);
  assert.deepEqual(
    sortEvents([core, modern]).map((e) => e.reason),
    ['Scheduled', 'Invalid'],
  );
});

test('a source: sync, health, resources with file and line, history newest first', () => {
  const wfs = {
    metadata: { name: 'apps', namespace: 'platform' },
    spec: { repoURL: 'http://127.0.0.1:1/apps.git', path: 'apps', prune: true },
    status: {
      sync: { status: 'OutOfSync', revision: 'r2', message: '1 file failed' },
      health: { status: 'Degraded' },
      lastSyncTime: '2026-01-01T00:00:00Z',
      resources: [
        { kind: 'WorkflowApp', namespace: 'default', name: 'shop', status: 'Synced', health: 'Healthy' },
        { kind: 'WorkflowApp', name: 'broken', status: 'OutOfSync', message: 'bad', file: 'broken.yaml', line: 7 },
      ],
      history: [
        { revision: 'r2', start: '2026-01-01T00:01:00Z', duration: '0.5s', result: 'Failed' },
        { revision: 'r1', start: '2026-01-01T00:00:00Z', duration: '40ms', result: 'Succeeded' },
      ],
    },
  };
  const s = sourceSummary(wfs);
  assert.equal(s.syncStatus, 'OutOfSync');
  assert.equal(s.healthStatus, 'Degraded');
  assert.equal(s.resourceCount, 2);
  assert.equal(s.prune, true);
  assert.equal(s.selfHeal, false);
  const d = sourceDetail(wfs, 'yaml');
  assert.deepEqual(d.resources[1], {
    kind: 'WorkflowApp',
    namespace: null,
    name: 'broken',
    status: 'OutOfSync',
    health: null,
    message: 'bad',
    file: 'broken.yaml',
    line: 7,
  });
  assert.deepEqual(
    d.history.map((h) => [h.revision, h.durationMs]),
    [
      ['r2', 500],
      ['r1', 40],
    ],
  );
  assert.equal(sourceSummary({}).syncStatus, 'Unknown');
});

test('a tenant: usage against quota, license tier and expiry', () => {
  const t = tenantSummary({
    metadata: { name: 'acme' },
    spec: { displayName: 'Acme', namespaces: ['acme-prod'], quotas: { maxApps: 5, maxReplicas: 10 } },
    status: {
      usage: { apps: 2, replicas: 4, plugins: 1 },
      limits: { maxApps: 3 },
      license: { tier: 'professional', expiresAt: '2027-01-01T00:00:00Z', features: ['*'], valid: true },
      conditions: [{ type: 'LicenseValid', status: 'True', reason: 'Valid', message: '' }],
    },
  });
  assert.deepEqual(t.usage, {
    apps: { used: 2, limit: 3 },
    replicas: { used: 4, limit: 10 },
    plugins: { used: 1, limit: null },
  });
  assert.deepEqual(t.license, {
    tier: 'professional',
    expiresAt: '2027-01-01T00:00:00Z',
    features: ['*'],
    valid: true,
    message: null,
  });
  assert.equal(tenantSummary({ metadata: { name: 'x' } }).license.valid, null);
  const expired = tenantSummary({ metadata: { name: 'x' }, status: { license: { valid: false, reason: 'expired' } } });
  assert.deepEqual([expired.license.valid, expired.license.message], [false, 'expired']);
});

test('durations as the controller writes them', () => {
  assert.equal(durationMs('1.42s'), 1420);
  assert.equal(durationMs('350ms'), 350);
  assert.equal(durationMs('2m3s'), 123_000);
  assert.equal(durationMs(12), 12);
  assert.equal(durationMs('soon'), null);
  assert.equal(durationMs(undefined), null);
});
