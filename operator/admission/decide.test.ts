// The admission decision, table-tested without HTTP or a cluster: one row per rule, each denial's
// message checked for what a user needs (tenant, plugin, tier, limit, expiry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, issueLicense, LicenseValidator, type LicenseStatus } from '../../license/index.ts';
import type { WorkflowTenant } from '../tenant/types.ts';
import { decideWorkflowApp, tenantLabelPatch, type AdmissionFacts, type AdmissionRequestFacts } from './decide.ts';
import { parseReview, ReviewError, reviewResponse } from './review.ts';

const now = Date.parse('2026-06-01T00:00:00Z');
const pair = generateKeyPair();

function licenseStatus(opts: Parameters<typeof issueLicense>[0], at = now): LicenseStatus {
  const { token } = issueLicense({ now, ...opts }, pair.privateKey);
  return new LicenseValidator({ key: token, publicKey: pair.publicKey, now: () => at }).status();
}

const acme: WorkflowTenant = {
  apiVersion: 'workflow.gocodealone.com/v1alpha1',
  kind: 'WorkflowTenant',
  metadata: { name: 'acme' },
  spec: { namespaces: ['acme'], quotas: { maxApps: 3, maxReplicas: 5 } },
};

interface World {
  tenants?: WorkflowTenant[];
  usage?: { apps: number; replicas: number; pluginNames?: string[] };
  license?: LicenseStatus;
  tiers?: Record<string, string>;
  tiersKnown?: boolean;
  configOk?: boolean;
}

function facts(w: World = {}): AdmissionFacts {
  const tenants = w.tenants ?? [acme];
  return {
    tenantOfNamespace: (ns) => tenants.find((t) => t.spec.namespaces?.includes(ns)),
    tenant: (name) => tenants.find((t) => t.metadata.name === name),
    usage: () => {
      const u = w.usage ?? { apps: 0, replicas: 0 };
      return {
        apps: u.apps,
        replicas: u.replicas,
        plugins: u.pluginNames?.length ?? 0,
        pluginNames: u.pluginNames ?? [],
      };
    },
    license: () => w.license,
    pluginTier: (n) => (w.tiers ?? { payments: 'premium', http: 'core', slack: 'community' })[n],
    tiersKnown: w.tiersKnown ?? true,
    tiersProblem: 'cannot reach the registry',
    app: () => undefined,
    checkConfig: () =>
      w.configOk === false
        ? { ok: false, errors: ['spec.config:3:7: module "x" has unknown type "nope"'], warnings: [] }
        : { ok: true, errors: [], warnings: [] },
    now,
  };
}

function app(
  opts: { ns?: string; replicas?: number; plugins?: string[]; labels?: Record<string, string>; config?: string } = {},
) {
  return {
    apiVersion: 'workflow.gocodealone.com/v1alpha1',
    kind: 'WorkflowApp',
    metadata: { name: 'shop', namespace: opts.ns ?? 'acme', ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      config: opts.config ?? 'modules: []\n',
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      ...(opts.plugins ? { plugins: opts.plugins.map((name) => ({ name, version: '^1' })) } : {}),
    },
  };
}

function req(object: unknown, extra: Partial<AdmissionRequestFacts> = {}): AdmissionRequestFacts {
  const o = object as { metadata: { namespace: string; name: string } };
  return {
    operation: 'CREATE',
    subResource: '',
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    object: object as Record<string, unknown>,
    oldObject: null,
    ...extra,
  };
}

const enterprise = () => licenseStatus({ tenant: 'acme', tier: 'enterprise', features: ['payments'] });

test('premium plugins: refused without a license, admitted with one that includes them', () => {
  const noLicense = decideWorkflowApp(req(app({ plugins: ['payments'] })), facts());
  assert.equal(noLicense.allowed, false);
  assert.equal(noLicense.code, 403);
  assert.match(
    noLicense.message,
    /plugin "payments" is a premium plugin; tenant acme has no license: set spec.licenseSecretRef/,
  );

  const noTenant = decideWorkflowApp(req(app({ ns: 'elsewhere', plugins: ['payments'] })), facts());
  assert.match(
    noTenant.message,
    /premium plugin and needs a license: deploy the app in a namespace of a WorkflowTenant/,
  );

  const ok = decideWorkflowApp(req(app({ plugins: ['payments', 'http'] })), facts({ license: enterprise() }));
  assert.equal(ok.allowed, true, ok.message);
  assert.deepEqual(ok.reserve, { tenant: 'acme', footprint: { replicas: 1, plugins: ['payments', 'http'] } });

  const other = decideWorkflowApp(
    req(app({ plugins: ['payments'] })),
    facts({ license: licenseStatus({ tenant: 'acme', tier: 'enterprise', features: ['billing'] }) }),
  );
  assert.match(
    other.message,
    new RegExp(
      String.raw`tenant acme's license lic-\w+ \(tier enterprise\) does not` +
        String.raw` include premium plugin "payments" \(features: billing\)`,
    ),
  );

  const starter = decideWorkflowApp(
    req(app({ plugins: ['payments'] })),
    facts({ license: licenseStatus({ tenant: 'acme', tier: 'starter', features: ['*'] }) }),
  );
  assert.match(starter.message, /tier starter, which does not permit premium plugins/);
});

test('plugin tiers: unknown tiers refuse added plugins; allowedTiers is enforced', () => {
  const unknown = decideWorkflowApp(req(app({ plugins: ['http'] })), facts({ tiersKnown: false }));
  assert.match(
    unknown.message,
    /cannot check the tier of plugin http: the plugin registry has not answered yet \(cannot reach the registry\)/,
  );
  const strict = { ...acme, spec: { ...acme.spec, quotas: { allowedTiers: ['core' as const] } } };
  const community = decideWorkflowApp(req(app({ plugins: ['slack'] })), facts({ tenants: [strict] }));
  assert.match(community.message, /plugin "slack" is tier community; tenant acme allows only core plugins/);
  // an update that keeps the plugins it had is not re-judged
  const old = app({ plugins: ['slack'] });
  const update = decideWorkflowApp(
    req(app({ plugins: ['slack'], replicas: 1 }), { operation: 'UPDATE', oldObject: old }),
    facts({ tenants: [strict], tiersKnown: false }),
  );
  assert.equal(update.allowed, true, update.message);
});

test('quotas: a fourth app over maxApps 3, replicas over maxReplicas, plugins over maxPlugins', () => {
  const fourth = decideWorkflowApp(req(app()), facts({ usage: { apps: 3, replicas: 3 } }));
  assert.equal(fourth.allowed, false);
  assert.match(
    fourth.message,
    new RegExp(
      String.raw`tenant acme already has 3 of its 3 apps \(maxApps, from spec.quotas` +
        String.raw` of the WorkflowTenant\): delete an app or raise the limit`,
    ),
  );
  assert.equal(decideWorkflowApp(req(app()), facts({ usage: { apps: 2, replicas: 2 } })).allowed, true);

  const scaleUp = decideWorkflowApp(
    req(app({ replicas: 4 }), { operation: 'UPDATE', oldObject: app({ replicas: 1 }) }),
    facts({ usage: { apps: 2, replicas: 2 } }),
  );
  assert.match(
    scaleUp.message,
    /tenant acme would run 6 replicas, over its limit of 5 \(maxReplicas, .*2 in other apps, 4 asked for shop\)/,
  );
  const scaleDown = decideWorkflowApp(
    req(app({ replicas: 1 }), { operation: 'UPDATE', oldObject: app({ replicas: 4 }) }),
    facts({ usage: { apps: 2, replicas: 9 } }),
  );
  assert.equal(scaleDown.allowed, true, 'scaling down is always allowed, even over quota');

  const license = licenseStatus({ tenant: 'acme', tier: 'enterprise', features: ['*'], maxPlugins: 2, maxApps: 2 });
  const plugins = decideWorkflowApp(
    req(app({ plugins: ['http', 'slack'] })),
    facts({ license, usage: { apps: 1, replicas: 1, pluginNames: ['payments'] } }),
  );
  assert.match(plugins.message, /would use 3 distinct plugins, over its limit of 2 \(maxPlugins, from the license\)/);
  const lowerLicense = decideWorkflowApp(req(app()), facts({ license, usage: { apps: 2, replicas: 2 } }));
  assert.match(lowerLicense.message, /already has 2 of its 2 apps \(maxApps, from the license\)/);
});

test('the scale subresource is judged from the stored app', () => {
  const stored = app({ replicas: 1 });
  const f = { ...facts({ usage: { apps: 1, replicas: 2 } }), app: () => stored as never };
  const scale = (n: number, old = 1) => ({
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name: 'shop', namespace: 'acme' },
    spec: { replicas: n },
    ...(old ? {} : {}),
  });
  const denied = decideWorkflowApp(
    req(scale(4), { operation: 'UPDATE', subResource: 'scale', oldObject: scale(1) as never }),
    f,
  );
  assert.match(denied.message, /would run 6 replicas, over its limit of 5/);
  assert.equal(
    decideWorkflowApp(req(scale(3), { operation: 'UPDATE', subResource: 'scale', oldObject: scale(1) as never }), f)
      .allowed,
    true,
  );
});

test('an invalid license: no new apps, no growth; updates that add nothing still pass', () => {
  const expired = licenseStatus(
    { tenant: 'acme', tier: 'enterprise', features: ['*'], expires: '1d' },
    now + 2 * 86_400_000,
  );
  assert.equal(expired.reason, 'Expired');
  const create = decideWorkflowApp(req(app()), facts({ license: expired }));
  assert.match(
    create.message,
    new RegExp(
      String.raw`tenant acme's license is not valid \(Expired\): license lic-\w+` +
        ` expired at .*; new apps are refused, running apps keep running`,
    ),
  );
  const edit = decideWorkflowApp(
    req(app({ config: 'modules: [] # edited\n' }), { operation: 'UPDATE', oldObject: app() }),
    facts({ license: expired }),
  );
  assert.equal(edit.allowed, true, edit.message);
  const grow = decideWorkflowApp(
    req(app({ replicas: 2 }), { operation: 'UPDATE', oldObject: app() }),
    facts({ license: expired }),
  );
  assert.match(grow.message, /scaling up \(1 -> 2 replicas\) is refused/);
  const revoked: LicenseStatus = {
    ...enterprise(),
    valid: false,
    reason: 'Revoked',
    message: 'license lic-1 was revoked at 2026-05-01T00:00:00Z: chargeback',
    source: 'online',
  };
  assert.match(
    decideWorkflowApp(req(app()), facts({ license: revoked })).message,
    /not valid \(Revoked\): license lic-1 was revoked/,
  );
});

test('tenant: the namespace decides; a label naming another tenant is refused', () => {
  const globex: WorkflowTenant = { ...acme, metadata: { name: 'globex' }, spec: { namespaces: ['globex'] } };
  const f = facts({ tenants: [acme, globex] });
  const wrong = decideWorkflowApp(req(app({ labels: { 'workflow.gocodealone.com/tenant': 'globex' } })), f);
  assert.match(wrong.message, /namespace acme belongs to tenant acme, but the app names tenant globex/);
  const outside = decideWorkflowApp(
    req(app({ ns: 'default', labels: { 'workflow.gocodealone.com/tenant': 'acme' } })),
    f,
  );
  assert.match(outside.message, /namespace default is not one of tenant acme's namespaces \(acme\)/);
  const ghost = decideWorkflowApp(
    req(app({ ns: 'default', labels: { 'workflow.gocodealone.com/tenant': 'nobody' } })),
    f,
  );
  assert.equal(ghost.allowed, true);
  assert.match(ghost.warnings[0]!, /no WorkflowTenant "nobody" exists/);
});

test('config: a broken spec.config is refused with file:line:column; an unchanged one is not re-judged', () => {
  const bad = decideWorkflowApp(req(app()), facts({ configOk: false }));
  assert.deepEqual([bad.allowed, bad.code, bad.reason], [false, 422, 'Invalid']);
  assert.match(
    bad.message,
    /spec.config is not a valid engine config:\nspec.config:3:7: module "x" has unknown type "nope"/,
  );
  const scaleOnly = decideWorkflowApp(
    req(app({ replicas: 2 }), { operation: 'UPDATE', oldObject: app() }),
    facts({ configOk: false }),
  );
  assert.equal(scaleOnly.allowed, true);
});

test('warnings: a license that expires within 14 days, and one valid only by grace', () => {
  const soon = licenseStatus({ tenant: 'acme', tier: 'enterprise', expires: '10d' });
  const d = decideWorkflowApp(req(app()), facts({ license: soon }));
  assert.equal(d.allowed, true);
  assert.match(
    d.warnings.join('\n'),
    /license lic-\w+ of tenant acme expires in 10 days \(2026-06-11T00:00:00Z\): renew it/,
  );
  const later = decideWorkflowApp(req(app()), facts({ license: enterprise() }));
  assert.deepEqual(later.warnings, []);
  const grace = decideWorkflowApp(
    req(app()),
    facts({
      license: {
        ...enterprise(),
        source: 'grace',
        message: 'license server unreachable; valid within the grace period until X',
      },
    }),
  );
  assert.match(grace.warnings.join('\n'), /tenant acme: license server unreachable/);
});

test('deletes and other subresources pass; the mutating patch adds the tenant label', () => {
  assert.equal(decideWorkflowApp(req(app(), { operation: 'DELETE' }), facts()).allowed, true);
  assert.equal(decideWorkflowApp(req(app(), { subResource: 'status', operation: 'UPDATE' }), facts()).allowed, true);
  assert.deepEqual(tenantLabelPatch(req(app()), facts()), [
    { op: 'add', path: '/metadata/labels', value: { 'workflow.gocodealone.com/tenant': 'acme' } },
  ]);
  assert.deepEqual(tenantLabelPatch(req(app({ labels: { team: 'x' } })), facts()), [
    { op: 'add', path: '/metadata/labels/workflow.gocodealone.com~1tenant', value: 'acme' },
  ]);
  assert.deepEqual(tenantLabelPatch(req(app({ ns: 'default' })), facts()), []);
});

test('AdmissionReview parsing: bad bodies are 400s that say why; answers carry the uid', () => {
  const cases: Array<[string, RegExp]> = [
    ['{', /not JSON/],
    ['[]', /must be a JSON object/],
    ['{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}', /speaks admission.k8s.io\/v1 only/],
    ['{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}', /kind is "Pod"/],
    ['{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}', /request is missing/],
    ['{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}', /request.uid/],
    [
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u', operation: 'CREATE', object: 'x' },
      }),
      /request.object must be an object/,
    ],
  ];
  for (const [body, re] of cases) {
    assert.throws(
      () => parseReview(body),
      (e: unknown) => e instanceof ReviewError && e.status === 400 && re.test(e.message),
    );
  }
  const parsed = parseReview(
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'u1', operation: 'CREATE', namespace: 'acme', object: app() },
    }),
  );
  assert.equal(parsed.name, 'shop');
  const out = JSON.parse(reviewResponse('u1', { allowed: false, code: 403, message: 'no', warnings: ['a\nb'] }));
  assert.deepEqual(out.response, {
    uid: 'u1',
    allowed: false,
    status: { code: 403, reason: 'Forbidden', message: 'no' },
    warnings: ['a b'],
  });
});
