// Admission webhooks against a real HTTPS webhook server (its own CA, verified through caBundle):
// allow with warnings, deny with the webhook's message exactly as kube-apiserver words it, mutating
// patches, namespaceSelector, and failurePolicy Fail/Ignore for unreachable or slow webhooks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../devcluster/index.ts';
import { startTestCluster, WORKFLOWAPP_CRD, type TestCluster } from './devcluster-harness.ts';

let tc: TestCluster;
let webhook: Server;
let webhookUrl: string;
const ca = createCertificateAuthority('webhook-test-ca');
const otherCa = createCertificateAuthority('someone-else');
const calls: string[] = [];

function review(
  body: { request: { uid: string; object: { spec?: { image?: string }; metadata: { labels?: object } } } },
  response: object,
) {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: body.request.uid, ...response },
  });
}

before(async () => {
  const serving = issueCertificate(ca, { commonName: 'webhook', hosts: ['127.0.0.1', 'localhost'] });
  webhook = createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      calls.push(`${req.url}:${body.request.operation}:${body.request.name}`);
      const send = (text: string) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(text);
      };
      if (req.url === '/validate') {
        const image = body.request.object?.spec?.image ?? '';
        if (image.includes('premium')) {
          return send(
            review(body, {
              allowed: false,
              status: {
                code: 403,
                reason: 'Forbidden',
                message: 'plugin "premium" needs the pro tier; tenant "acme" has free',
              },
            }),
          );
        }
        return send(review(body, { allowed: true, warnings: ['license for tenant "acme" expires in 3 days'] }));
      }
      if (req.url === '/mutate') {
        const labels = body.request.object.metadata.labels;
        const patch = labels
          ? [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }]
          : [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }];
        return send(
          review(body, {
            allowed: true,
            patchType: 'JSONPatch',
            patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          }),
        );
      }
      if (req.url === '/slow') return void setTimeout(() => send(review(body, { allowed: true })), 2500);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
  webhookUrl = `https://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
  tc = await startTestCluster();
  await tc.ok(['apply', '-f', '-'], WORKFLOWAPP_CRD);
  await tc.ok(['create', 'namespace', 'enforced']);
  await tc.ok(['label', 'namespace', 'enforced', 'policy=enforced']);
});
after(async () => {
  await tc?.stop();
  webhook.closeAllConnections();
  await new Promise((r) => webhook.close(r));
});

function configuration(
  kind: 'Validating' | 'Mutating',
  name: string,
  path: string,
  extra: Record<string, unknown> = {},
  caPem = ca.certPem,
): string {
  return JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${kind}WebhookConfiguration`,
    metadata: { name },
    webhooks: [
      {
        name: `${name}.example.com`,
        clientConfig: { url: `${webhookUrl}${path}`, caBundle: Buffer.from(caPem).toString('base64') },
        rules: [
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: ['example.com'],
            apiVersions: ['v1'],
            resources: ['workflowapps'],
          },
        ],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 5,
        namespaceSelector: { matchLabels: { policy: 'enforced' } },
        ...extra,
      },
    ],
  });
}

const app = (name: string, image: string) =>
  `apiVersion: example.com/v1\nkind: WorkflowApp\nmetadata:\n  name: ${name}\n  namespace: enforced\nspec:\n  ` +
  `image: ${image}\n`;

test('a validating webhook allows with warnings and denies with its own message', async () => {
  await tc.ok(['apply', '-f', '-'], configuration('Validating', 'license', '/validate'));
  const allowed = await tc.kubectl(['apply', '-f', '-'], { input: app('basic', 'engine:1') });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /Warning: license for tenant "acme" expires in 3 days/);
  const denied = await tc.kubectl(['apply', '-f', '-'], { input: app('fancy', 'engine:premium') });
  assert.notEqual(denied.code, 0);
  assert.match(
    denied.stderr,
    new RegExp(
      `admission webhook "license.example.com" denied the request:` +
        ` plugin "premium" needs the pro tier; tenant "acme" has free`,
    ),
  );
  assert.equal((await tc.kubectl(['-n', 'enforced', 'get', 'wfa', 'fancy'])).code, 1, 'nothing was stored');
  assert.ok(calls.includes('/validate:CREATE:basic'));
});

test('namespaceSelector: namespaces without the label are not sent to the webhook', async () => {
  const r = await tc.kubectl(['apply', '-f', '-'], {
    input: app('elsewhere', 'engine:premium').replace('namespace: enforced', 'namespace: default'),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    calls.some((c) => c.endsWith(':elsewhere')),
    false,
  );
});

test('a mutating webhook patches the object before it is stored', async () => {
  await tc.ok(['apply', '-f', '-'], configuration('Mutating', 'labeller', '/mutate'));
  await tc.ok(['apply', '-f', '-'], app('patched', 'engine:1'));
  const labels = JSON.parse(
    await tc.ok(['-n', 'enforced', 'get', 'wfa', 'patched', '-o', 'jsonpath={.metadata.labels}']),
  );
  assert.equal(labels.mutated, 'yes');
  await tc.ok(['delete', 'mutatingwebhookconfiguration', 'labeller']);
});

test('failurePolicy: Fail refuses an untrusted or late webhook; Ignore lets the request through', async () => {
  await tc.ok(['delete', 'validatingwebhookconfiguration', 'license']);
  await tc.ok(['apply', '-f', '-'], configuration('Validating', 'untrusted', '/validate', {}, otherCa.certPem));
  const untrusted = await tc.kubectl(['apply', '-f', '-'], { input: app('u1', 'engine:1') });
  assert.notEqual(untrusted.code, 0);
  assert.match(
    untrusted.stderr,
    new RegExp(
      `Internal error occurred: failed calling webhook "untrusted.example.com":` +
        String.raw` failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/validate"`,
    ),
  );
  await tc.ok(['delete', 'validatingwebhookconfiguration', 'untrusted']);

  await tc.ok(
    ['apply', '-f', '-'],
    configuration('Validating', 'slow', '/slow', { timeoutSeconds: 1, failurePolicy: 'Ignore' }),
  );
  const ignored = await tc.kubectl(['apply', '-f', '-'], { input: app('s1', 'engine:1') });
  assert.equal(ignored.code, 0, ignored.stderr);
  await tc.ok(
    ['apply', '-f', '-'],
    configuration('Validating', 'slow', '/slow', { timeoutSeconds: 1, failurePolicy: 'Fail' }),
  );
  const failed = await tc.kubectl(['apply', '-f', '-'], { input: app('s2', 'engine:1') });
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /failed calling webhook "slow.example.com".*context deadline exceeded/);
  await tc.ok(['delete', 'validatingwebhookconfiguration', 'slow']);
});
