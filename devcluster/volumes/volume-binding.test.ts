import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../resources/object-meta.ts';
import { claimScheduling, findMatchingVolume, volumeMismatch } from './volume-binding.ts';

const claim = (spec: object, name = 'data'): KubeObject => ({
  metadata: { name, namespace: 'team', uid: `uid-${name}` },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const volume = (name: string, spec: object, phase = 'Available', labels?: Record<string, string>): KubeObject => ({
  metadata: { name, labels },
  spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, storageClassName: 'manual', ...spec },
  status: { phase },
});

test('a claim binds to the smallest Available volume of its class that fits', () => {
  const c = claim({ storageClassName: 'manual' });
  const volumes = [
    volume('too-small', { capacity: { storage: '512Mi' } }),
    volume('big', { capacity: { storage: '10Gi' } }),
    volume('right', { capacity: { storage: '2Gi' } }),
    volume('other-class', { storageClassName: 'fast' }),
    volume('taken', { claimRef: { namespace: 'team', name: 'someone-else', uid: 'x' } }, 'Bound'),
    volume('released', {}, 'Released'),
    volume('read-only', { accessModes: ['ReadOnlyMany'] }),
  ];
  assert.equal(findMatchingVolume(c, volumes, 'devcluster')?.metadata.name, 'right');
});

test('a volume pre-bound to the claim wins; a claim naming a volume gets only that one', () => {
  const c = claim({ storageClassName: 'manual' });
  const reserved = volume('reserved', { capacity: { storage: '5Gi' }, claimRef: { namespace: 'team', name: 'data' } });
  assert.equal(findMatchingVolume(c, [volume('small', {}), reserved], 'devcluster')?.metadata.name, 'reserved');
  const named = claim({ storageClassName: 'manual', volumeName: 'small' });
  assert.equal(
    findMatchingVolume(named, [volume('small', {}), volume('other', {})], 'devcluster')?.metadata.name,
    'small',
  );
  assert.equal(findMatchingVolume(named, [volume('other', {})], 'devcluster'), undefined);
});

test('mismatches are explained: class, size, access modes, selector, node affinity', () => {
  const c = claim({ storageClassName: 'manual', selector: { matchLabels: { tier: 'db' } } });
  const cases: Array<[KubeObject, RegExp | undefined]> = [
    [volume('ok', {}, 'Available', { tier: 'db' }), undefined],
    [volume('class', { storageClassName: '' }, 'Available', { tier: 'db' }), /storage class/],
    [volume('small', { capacity: { storage: '1Mi' } }, 'Available', { tier: 'db' }), /capacity 1Mi is less/],
    [volume('modes', { accessModes: ['ReadOnlyMany'] }, 'Available', { tier: 'db' }), /access modes ReadWriteOnce/],
    [volume('labels', {}, 'Available', { tier: 'web' }), /labels do not match/],
    [
      volume(
        'node',
        {
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['other-node'] }] },
              ],
            },
          },
        },
        'Available',
        { tier: 'db' },
      ),
      /node affinity excludes devcluster/,
    ],
  ];
  for (const [v, expected] of cases) {
    const why = volumeMismatch(c, v, 'devcluster');
    if (expected) assert.match(why ?? '', expected, v.metadata.name);
    else assert.equal(why, undefined);
  }
});

test('scheduling waits for claims: missing and unbound immediate claims are unschedulable', () => {
  const claims: Record<string, KubeObject> = {
    bound: { ...claim({}, 'bound'), status: { phase: 'Bound' } },
    pending: { ...claim({ storageClassName: 'immediate' }, 'pending'), status: { phase: 'Pending' } },
    lazy: { ...claim({ storageClassName: 'lazy' }, 'lazy'), status: { phase: 'Pending' } },
  };
  const modes: Record<string, string> = { immediate: 'Immediate', lazy: 'WaitForFirstConsumer' };
  const check = (names: string[]) =>
    claimScheduling(
      names,
      (n) => claims[n],
      (c) => (c ? modes[c] : undefined),
    );
  assert.deepEqual(check(['bound']), { selectNodeFor: [], waitingFor: [] });
  assert.match(check(['bound', 'missing']).unschedulable ?? '', /persistentvolumeclaim "missing" not found/);
  assert.match(check(['pending']).unschedulable ?? '', /pod has unbound immediate PersistentVolumeClaims/);
  assert.deepEqual(check(['lazy']), { selectNodeFor: ['lazy'], waitingFor: ['lazy'] });
});
