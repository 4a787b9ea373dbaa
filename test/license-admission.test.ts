// Licensing and tenants end to end on devcluster with the real kubectl: a WorkflowTenant, its license
// in a Secret validated by a real license server, plugin tiers from a real registry, and the
// operator's admission webhooks (HTTPS, generated CA in the caBundle) deciding every WorkflowApp.
//
//   premium plugin refused -> license applied -> admitted and Ready -> a fourth app over a three-app
//   quota refused, `kubectl scale` past maxReplicas refused -> revoked: new apps refused -> license
//   server stopped: admitted inside the grace period, refused after it while running apps serve on
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { generateKeyPair, issueLicense, startLicenseServer, type LicenseServer } from '../license/index.ts';
import { registryPluginResolver, type RunningOperator } from '../operator/index.ts';
import { startRegistryServer, type RegistryServer } from '../registry-index/index.ts';
import { appManifest, condition, eventually, startHarness, type Harness } from './operator-harness.ts';
import { git, json, manifest, tempDir } from './registry-support.ts';

const silent = pino({ level: 'silent' });
const pair = generateKeyPair();
const graceMs = 10_000;
let h: Harness;
let op: RunningOperator;
let registry: RegistryServer;
let licenses: LicenseServer;
let dirs: ReturnType<typeof tempDir>;
let licenseId = '';

const tenantYaml = `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowTenant
metadata: { name: acme }
spec:
  displayName: ACME Corp
  namespaces: [acme]
  licenseSecretRef: { name: acme-license }
  quotas: { maxApps: 3, maxReplicas: 4 }
  users: [alice]
`;

const premiumApp = (name: string) =>
  appManifest(name, {
    namespace: 'acme',
    spec: ['plugins: [{ name: payments, version: "^1.0.0" }]', 'service: { type: LoadBalancer }'],
  });
const plainApp = (name: string) => appManifest(name, { namespace: 'acme' });

async function refused(yaml: string): Promise<string> {
  const err = await h.apply(yaml).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err, 'expected kubectl apply to be refused');
  return err.message;
}

const tenant = () => h.json('get', 'wft', 'acme');

before(async () => {
  dirs = tempDir('license-admission-');
  const repo = join(dirs.path, 'registry');
  mkdirSync(join(repo, 'plugins/payments'), { recursive: true });
  mkdirSync(join(repo, 'plugins/notes'), { recursive: true });
  writeFileSync(join(repo, 'plugins/payments/manifest.json'), json(manifest('payments', { tier: 'premium' })));
  writeFileSync(join(repo, 'plugins/notes/manifest.json'), json(manifest('notes', { tier: 'community' })));
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'plugins');
  registry = await startRegistryServer({ repo, dataDir: join(dirs.path, 'reg-data'), schedule: null, logger: silent });
  await registry.initialSync;
  licenses = await startLicenseServer({
    dataDir: join(dirs.path, 'licenses'),
    publicKey: pair.publicKey,
    adminToken: 'admin-token-1',
    logger: silent,
  });
  h = await startHarness({ pods: 'standin' });
  op = await h.startOperator({
    plugins: registryPluginResolver({ url: registry.url }),
    tenancy: {
      registryUrl: registry.url,
      license: {
        publicKey: pair.publicKey,
        serverUrl: licenses.url,
        cacheTtlMs: 1_000,
        gracePeriodMs: graceMs,
        refreshIntervalMs: 1_000,
      },
      webhook: { port: 0, host: '127.0.0.1', endpoint: 'local' },
    },
  });
  await h.apply(tenantYaml);
  await eventually('namespace acme labelled for the tenant', async () => {
    const ns = await h.json('get', 'namespace', 'acme');
    return ns.metadata.labels?.['workflow.gocodealone.com/tenant'] === 'acme';
  });
  await eventually('plugin tiers from the registry', async () => op.tenants?.tiers.known && op.tenants.synced);
});

after(async () => {
  await h?.stop();
  await registry?.close().catch(() => undefined);
  await licenses?.stop().catch(() => undefined);
  dirs?.cleanup();
});

test('kubectl apply of an app with a premium plugin is refused, with the reason', { timeout: 60_000 }, async () => {
  const t = await eventually('tenant status', async () => {
    const x = await tenant();
    return condition(x, 'LicenseValid') && x;
  });
  assert.equal(condition(t, 'LicenseValid').status, 'False');
  assert.match(condition(t, 'LicenseValid').message, /Secret acme\/acme-license \(spec.licenseSecretRef\) not found/);
  const message = await refused(premiumApp('shop'));
  assert.match(
    message,
    new RegExp(
      `admission webhook "license.workflow.gocodealone.com" denied the request: ` +
        String.raw`plugin "payments" is a premium plugin; tenant acme's license is not valid \(NoKey\): ` +
        String.raw`Secret acme\/acme-license \(spec.licenseSecretRef\) not found`,
    ),
  );
  // the tenant's namespace got its objects, or the tenant says which kinds this cluster does not serve
  const role = await h.json('get', 'role', 'workflow-tenant', '-n', 'acme').catch(() => undefined);
  if (role) assert.equal(role.metadata.ownerReferences[0].kind, 'WorkflowTenant');
  else assert.match(condition(t, 'Ready').message, /Role acme\/workflow-tenant: /);
});

test('after the tenant license is applied, the same app is admitted and reaches Ready', {
  timeout: 120_000,
}, async () => {
  const issued = issueLicense(
    { tenant: 'acme', tier: 'enterprise', features: ['payments'], maxApps: 10, maxReplicas: 10 },
    pair.privateKey,
  );
  licenseId = issued.claims.licenseId;
  await h.kubectl(
    'create',
    'secret',
    'generic',
    'acme-license',
    '-n',
    'acme',
    `--from-literal=license=${issued.token}`,
  );
  await eventually(
    'LicenseValid=True on the tenant',
    async () => condition(await tenant(), 'LicenseValid')?.status === 'True',
  );
  await h.apply(premiumApp('shop'));
  await h.kubectl('wait', '--for=condition=Ready', '--timeout=90s', 'wfa/shop', '-n', 'acme');
  const app = await h.json('get', 'wfa', 'shop', '-n', 'acme');
  assert.equal(app.metadata.labels['workflow.gocodealone.com/tenant'], 'acme', 'the mutating webhook set the label');
  assert.equal(condition(app, 'LicenseValid').status, 'True');
  assert.match(condition(app, 'LicenseValid').message, /premium plugins payments licensed/);
  const dep = await h.json('get', 'deployment', 'shop', '-n', 'acme');
  const env = dep.spec.template.spec.containers[0].env;
  assert.deepEqual(env.find((e: any) => e.name === 'WORKFLOW_LICENSE_KEY').valueFrom.secretKeyRef, {
    name: 'workflow-license',
    key: 'license',
    optional: true,
  });
  const copied = await h.json('get', 'secret', 'workflow-license', '-n', 'acme');
  assert.equal(Buffer.from(copied.data.license, 'base64').toString(), issued.token);
  const table = await h.kubectl('get', 'wft');
  assert.match(table, /NAME\s+APPS\s+REPLICAS\s+PLUGINS\s+TIER\s+LICENSE\s+AGE/);
  await eventually('usage in the tenant columns', async () =>
    /acme\s+1\/3\s+1\/4\s+1\s+enterprise\s+True/.test(await h.kubectl('get', 'wft')),
  );
});

test('a fourth app over a three-app quota is refused, and so is kubectl scale beyond maxReplicas', {
  timeout: 60_000,
}, async () => {
  await h.apply(plainApp('two'));
  await h.apply(plainApp('three'));
  const fourth = await refused(plainApp('four'));
  assert.match(fourth, /tenant acme already has 3 of its 3 apps \(maxApps, from spec.quotas of the WorkflowTenant\)/);
  const scale = await h.kubectl('scale', 'wfa/two', '-n', 'acme', '--replicas=3').then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(scale, /denied the request: tenant acme would run 5 replicas, over its limit of 4 \(maxReplicas/);
  await h.kubectl('scale', 'wfa/two', '-n', 'acme', '--replicas=2');
  await eventually('usage reported to the license server', async () => licenses.store.usage('acme')?.apps === 3);
  assert.deepEqual(licenses.store.usage('acme')?.plugins, ['payments']);
  const t = await eventually('tenant usage', async () => {
    const x = await tenant();
    return x.status?.usage?.replicas === 4 && x;
  });
  assert.deepEqual(t.status.display, { apps: '3/3', replicas: '4/4', plugins: '1' });
  await h.kubectl('delete', 'wfa', 'three', 'four', '-n', 'acme', '--ignore-not-found');
});

test('a revoked license: new apps are denied', { timeout: 60_000 }, async () => {
  const admin = { 'content-type': 'application/json', authorization: 'Bearer admin-token-1' };
  await fetch(`${licenses.url}/api/v1/revocations`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ license: licenseId, reason: 'contract ended' }),
  });
  await eventually(
    'LicenseValid=False Revoked',
    async () => condition(await tenant(), 'LicenseValid')?.reason === 'Revoked',
    30_000,
  );
  const message = await refused(plainApp('late'));
  assert.match(
    message,
    new RegExp(
      String.raw`tenant acme's license is not valid \(Revoked\): license lic-\w+ was revoked` +
        ` at .*: contract ended; new apps are refused, running apps keep running`,
    ),
  );
  const shop = await h.json('get', 'wfa', 'shop', '-n', 'acme');
  assert.equal(condition(shop, 'Ready').status, 'True', 'the running app is left alone');
  await eventually('LicenseValid=False on the running app', async () => {
    const x = await h.json('get', 'wfa', 'shop', '-n', 'acme');
    return condition(x, 'LicenseValid')?.reason === 'Revoked';
  });
  await fetch(`${licenses.url}/api/v1/revocations/${licenseId}`, { method: 'DELETE', headers: admin });
  await eventually(
    'LicenseValid=True again',
    async () => condition(await tenant(), 'LicenseValid')?.status === 'True',
    30_000,
  );
});

test('license server stopped: admission works inside the grace period; after it new premium apps are denied ' +
  'and running ones serve', {
  timeout: 120_000,
}, async () => {
  await h.kubectl('delete', 'wfa', 'two', '-n', 'acme');
  await licenses.stop();
  await h.apply(premiumApp('inside-grace'));
  const t = await eventually('grace on the tenant', async () => {
    const x = await tenant();
    return condition(x, 'LicenseValid')?.reason === 'GracePeriod' && x;
  });
  assert.equal(condition(t, 'LicenseValid').status, 'True');
  await eventually(
    'GraceExpired',
    async () => condition(await tenant(), 'LicenseValid')?.reason === 'GraceExpired',
    graceMs + 30_000,
  );
  const message = await refused(premiumApp('after-grace'));
  assert.match(
    message,
    /tenant acme's license is not valid \(GraceExpired\): license server unreachable and grace period of 10s expired/,
  );
  const shop = await h.json('get', 'wfa', 'shop', '-n', 'acme');
  assert.equal(condition(shop, 'Ready').status, 'True');
  const res = await fetch(`${shop.status.endpoint}/`);
  assert.equal(res.status, 200, 'the running app keeps serving');
  await eventually('LicenseValid=False GraceExpired on the running app', async () => {
    const x = await h.json('get', 'wfa', 'shop', '-n', 'acme');
    return condition(x, 'LicenseValid')?.reason === 'GraceExpired';
  });
});

test('the webhook answers bad input with a clear error and keeps serving', { timeout: 60_000 }, async () => {
  const secret = await h.json('get', 'secret', 'workflow-operator-webhook-tls', '-n', 'default');
  const ca = Buffer.from(secret.data['ca.crt'], 'base64').toString();
  const { request } = await import('node:https');
  const post = (path: string, body: string | Buffer) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${op.admission!.url}${path}`,
        { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const review = (extra: object) =>
    JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', ...extra });
  for (const [body, status, re] of [
    ['{"apiVersion":', 400, /not JSON/],
    ['\u0000\u00ff garbage', 400, /not JSON/],
    [
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }),
      400,
      /speaks admission.k8s.io\/v1 only/,
    ],
    [review({ request: { operation: 'CREATE' } }), 400, /request.uid/],
    [review({ request: { uid: 'x', operation: 'CREATE', object: 7 } }), 400, /request.object must be an object/],
    [Buffer.alloc(9 * 1024 * 1024, 'a'), 413, /larger than 8 MiB/],
  ] as const) {
    const r = await post('/validate-workflowapp', body as string);
    assert.equal(r.status, status, r.body);
    assert.match(JSON.parse(r.body).error, re);
  }
  const huge = await post(
    '/validate-workflowapp',
    review({
      request: {
        uid: 'big',
        operation: 'CREATE',
        namespace: 'default',
        name: 'big',
        object: {
          metadata: { name: 'big', namespace: 'default' },
          spec: { config: `# ${'x'.repeat(1_000_000)}\nmodules: []\n` },
        },
      },
    }),
  );
  assert.equal(huge.status, 200);
  assert.equal(JSON.parse(huge.body).response.uid, 'big');
  assert.equal((await post('/nope', '{}')).status, 404);
  // and a real request still goes through
  await h.apply(appManifest('after-garbage'));
});
