import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinTypes } from '../resources/builtin/index.ts';
import type { AdmissionAttributes } from './admission.ts';
import { admissionReview, denial, interpretResponse, webhookMatches, type Webhook } from './webhook-rules.ts';

const deployments = builtinTypes().find((t) => t.plural === 'deployments')!;
const attrs = (extra: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'CREATE',
  type: deployments,
  subresource: '',
  namespace: 'team',
  name: 'web',
  object: { metadata: { name: 'web', labels: { tier: 'front' } } },
  oldObject: null,
  options: {},
  dryRun: false,
  user: { username: 'u', groups: [] },
  ...extra,
});
const hook = (extra: Partial<Webhook> = {}): Webhook => ({
  name: 'check.example.com',
  clientConfig: { url: 'https://x' },
  rules: [{ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }],
  ...extra,
});

test('rules match operation, group, resource and subresource', () => {
  assert.equal(webhookMatches(hook(), attrs(), {}), true);
  assert.equal(webhookMatches(hook(), attrs({ operation: 'UPDATE' }), {}), false);
  assert.equal(webhookMatches(hook(), attrs({ subresource: 'status' }), {}), false);
  assert.equal(
    webhookMatches(
      hook({ rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/status'] }] }),
      attrs({ subresource: 'status' }),
      {},
    ),
    true,
  );
  assert.equal(
    webhookMatches(
      hook({
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: ['apps'],
            apiVersions: ['*'],
            resources: ['deployments'],
            scope: 'Cluster',
          },
        ],
      }),
      attrs(),
      {},
    ),
    false,
  );
});

test('namespace and object selectors', () => {
  assert.equal(
    webhookMatches(hook({ namespaceSelector: { matchLabels: { env: 'prod' } } }), attrs(), { env: 'dev' }),
    false,
  );
  assert.equal(
    webhookMatches(
      hook({
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
        },
      }),
      attrs(),
      { 'kubernetes.io/metadata.name': 'team' },
    ),
    true,
  );
  assert.equal(webhookMatches(hook({ objectSelector: { matchLabels: { tier: 'back' } } }), attrs(), {}), false);
});

test('answers: uid must match, patches are base64 JSON Patch, denials are worded like kube-apiserver', () => {
  const { uid, review } = admissionReview(attrs());
  assert.equal((review as { request: { uid: string } }).request.uid, uid);
  assert.throws(
    () => interpretResponse({ kind: 'AdmissionReview', response: { uid: 'other', allowed: true } }, uid),
    /expected response.uid/,
  );
  const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/x', value: 1 }])).toString('base64');
  assert.deepEqual(
    interpretResponse(
      { kind: 'AdmissionReview', response: { uid, allowed: true, patchType: 'JSONPatch', patch, warnings: ['w'] } },
      uid,
    ).patch,
    [{ op: 'add', path: '/x', value: 1 }],
  );
  const e = denial('check.example.com', { code: 200, message: 'no' });
  assert.equal(e.code, 400, 'codes below 400 become 400');
  assert.equal(e.message, 'admission webhook "check.example.com" denied the request: no');
  assert.equal(
    denial('check.example.com', undefined).message,
    'admission webhook "check.example.com" denied the request without explanation',
  );
});
