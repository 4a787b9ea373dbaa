// The remaining built-in groups: apiextensions (CRDs), admissionregistration (webhook configurations),
// coordination (Leases), events.k8s.io (a view of core Events) and discovery (EndpointSlices).
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../../api/errors.ts';
import { nameProblems } from '../../logic/names.ts';
import { isObject, type JsonObject } from '../../logic/schema.ts';
import type { ResourceType } from '../resource-type.ts';
import { objectFrame, type KubeObject } from '../object-meta.ts';
import { atomicList, int, keyedList, obj, opaque, str, time } from '../schema-dsl.ts';
import { CRD_CLEANUP_FINALIZER, crdStatus, validateCrd } from '../crd.ts';
import { eventFieldSelectors, objectReferenceSchema } from './core.ts';
import { col, defineBuiltin, get } from './define.ts';
import { labelSelectorSchema } from './pod-spec.ts';

const crd = defineBuiltin({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  tracksGeneration: true,
  statusSubresource: true,
  schema: objectFrame({ spec: opaque(), status: opaque() }, { required: ['spec'] }),
  replaceColumns: true,
  columns: [
    { name: 'Name', type: 'string', format: 'name', priority: 0, description: '', cell: (o) => o.metadata.name },
    col('Created At', (o) => o.metadata.creationTimestamp, 0, 'date'),
  ],
  deleteReturnsObject: true,
  strategy: {
    prepareForCreate(o, ctx) {
      o.status = crdStatus(o, undefined, ctx.now);
      o.metadata.finalizers = [
        ...(o.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER),
        CRD_CLEANUP_FINALIZER,
      ];
    },
    prepareForUpdate(o, old, ctx) {
      o.status = crdStatus(o, old.status as JsonObject | undefined, ctx.now);
    },
    validate: (o) => validateCrd(o),
  },
});

const webhookClientConfig = obj({
  url: str(),
  service: obj({ namespace: str(), name: str(), path: str(), port: int() }, { required: ['namespace', 'name'] }),
  caBundle: str({ format: 'byte' }),
});

const ruleWithOperations = obj({
  operations: atomicList(str()),
  apiGroups: atomicList(str()),
  apiVersions: atomicList(str()),
  resources: atomicList(str()),
  scope: str(),
});

function webhookSchema(mutating: boolean) {
  return obj(
    {
      name: str(),
      clientConfig: webhookClientConfig,
      rules: atomicList(ruleWithOperations),
      failurePolicy: str(),
      matchPolicy: str(),
      namespaceSelector: labelSelectorSchema,
      objectSelector: labelSelectorSchema,
      sideEffects: str(),
      timeoutSeconds: int(),
      admissionReviewVersions: atomicList(str()),
      matchConditions: keyedList(obj({ name: str(), expression: str() }), ['name']),
      ...(mutating ? { reinvocationPolicy: str() } : {}),
    },
    { required: ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'] },
  );
}

function defaultWebhooks(o: KubeObject, mutating: boolean): void {
  for (const w of (Array.isArray(o.webhooks) ? o.webhooks : []) as JsonObject[]) {
    if (!isObject(w)) continue;
    w.failurePolicy ??= 'Fail';
    w.matchPolicy ??= 'Equivalent';
    w.namespaceSelector ??= {};
    w.objectSelector ??= {};
    w.timeoutSeconds ??= 10;
    if (mutating) w.reinvocationPolicy ??= 'Never';
    if (isObject(w.clientConfig) && isObject(w.clientConfig.service)) w.clientConfig.service.port ??= 443;
    for (const r of (Array.isArray(w.rules) ? w.rules : []) as JsonObject[]) if (isObject(r)) r.scope ??= '*';
  }
}

function validateWebhooks(o: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  ((Array.isArray(o.webhooks) ? o.webhooks : []) as JsonObject[]).forEach((w, i) => {
    const at = `webhooks[${i}]`;
    if (!isObject(w)) return;
    const name = String(w.name ?? '');
    if (name.split('.').length < 3)
      errors.push(
        fieldInvalid(`${at}.name`, name, 'should be a domain with at least three segments separated by dots'),
      );
    else if (nameProblems(name, 'subdomain').length)
      errors.push(fieldInvalid(`${at}.name`, name, nameProblems(name, 'subdomain').join(', ')));
    if (names.has(name))
      errors.push({
        type: 'FieldValueDuplicate',
        field: `${at}.name`,
        detail: `Duplicate value: ${JSON.stringify(name)}`,
      });
    names.add(name);
    if (!['None', 'NoneOnDryRun'].includes(String(w.sideEffects)))
      errors.push(fieldNotSupported(`${at}.sideEffects`, w.sideEffects ?? '', ['None', 'NoneOnDryRun']));
    const versions = Array.isArray(w.admissionReviewVersions) ? w.admissionReviewVersions : [];
    if (!versions.includes('v1') && !versions.includes('v1beta1')) {
      errors.push(
        fieldInvalid(`${at}.admissionReviewVersions`, versions.join(','), 'must include at least one of v1, v1beta1'),
      );
    }
    if (!['Fail', 'Ignore'].includes(String(w.failurePolicy)))
      errors.push(fieldNotSupported(`${at}.failurePolicy`, w.failurePolicy, ['Fail', 'Ignore']));
    const timeout = Number(w.timeoutSeconds);
    if (!(timeout >= 1 && timeout <= 30))
      errors.push(
        fieldInvalid(`${at}.timeoutSeconds`, w.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'),
      );
    const cc = isObject(w.clientConfig) ? w.clientConfig : {};
    if (cc.url === undefined && cc.service === undefined)
      errors.push(fieldRequired(`${at}.clientConfig`, 'exactly one of url or service is required'));
    if (cc.url !== undefined && cc.service !== undefined)
      errors.push(fieldForbidden(`${at}.clientConfig`, 'exactly one of url or service is required'));
    if (typeof cc.url === 'string') {
      let parsed: URL | undefined;
      try {
        parsed = new URL(cc.url);
      } catch {
        errors.push(fieldInvalid(`${at}.clientConfig.url`, cc.url, 'must be a valid URL'));
      }
      if (parsed && parsed.protocol !== 'https:')
        errors.push(fieldInvalid(`${at}.clientConfig.url`, cc.url, "'https' is the only allowed URL scheme"));
    }
  });
  return errors;
}

function webhookConfiguration(kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration'): ResourceType {
  const mutating = kind === 'MutatingWebhookConfiguration';
  return defineBuiltin({
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    namespaced: false,
    categories: ['api-extensions'],
    tracksGeneration: true,
    schema: objectFrame({ webhooks: keyedList(webhookSchema(mutating), ['name']) }),
    columns: [col('Webhooks', (o) => (Array.isArray(o.webhooks) ? o.webhooks.length : 0), 0, 'integer')],
    strategy: {
      prepareForCreate: (o) => defaultWebhooks(o, mutating),
      prepareForUpdate: (o) => defaultWebhooks(o, mutating),
      validate: validateWebhooks,
    },
  });
}

const lease = defineBuiltin({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  schema: objectFrame({
    spec: obj({
      holderIdentity: str(),
      leaseDurationSeconds: int(),
      acquireTime: time(),
      renewTime: time(),
      leaseTransitions: int(),
      strategy: str(),
      preferredHolder: str(),
    }),
  }),
  columns: [col('Holder', (o) => get(o, 'spec', 'holderIdentity') ?? '')],
});

/** events.k8s.io/v1 is another view of the core Events: the same objects, renamed fields. */
const EVENT_FIELD_RENAMES: Array<[core: string, v1: string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];

function renameFields(o: KubeObject, pairs: Array<[string, string]>, apiVersion: string): KubeObject {
  const out: KubeObject = { ...o, apiVersion };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

const eventsV1 = defineBuiltin({
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
  shortNames: ['ev'],
  storageKey: '/events',
  nameRule: 'path-segment',
  schema: objectFrame({
    eventTime: time(),
    series: obj({ count: int(), lastObservedTime: time() }),
    reportingController: str(),
    reportingInstance: str(),
    action: str(),
    reason: str(),
    regarding: objectReferenceSchema,
    related: objectReferenceSchema,
    note: str(),
    type: str(),
    deprecatedSource: obj({ component: str(), host: str() }),
    deprecatedFirstTimestamp: time(),
    deprecatedLastTimestamp: time(),
    deprecatedCount: int(),
  }),
  columns: [
    col('Reason', (o) => o.reason),
    col(
      'Object',
      (o) => `${String(get(o, 'regarding', 'kind') ?? '').toLowerCase()}/${get(o, 'regarding', 'name') ?? ''}`,
    ),
    col('Note', (o) => o.note),
  ],
  fieldSelectors: Object.fromEntries(
    Object.entries(eventFieldSelectors).map(([k, f]) => [
      k.replace('involvedObject', 'regarding'),
      (o: KubeObject) =>
        f(
          renameFields(
            o,
            EVENT_FIELD_RENAMES.map(([a, b]) => [b, a]),
            'v1',
          ),
        ),
    ]),
  ),
  toStorage: (o) =>
    renameFields(
      o,
      EVENT_FIELD_RENAMES.map(([a, b]) => [b, a]),
      'v1',
    ),
  fromStorage: (o) => renameFields(o, EVENT_FIELD_RENAMES, 'events.k8s.io/v1'),
  strategy: {
    validate(o) {
      const errors: FieldError[] = [];
      if (!o.eventTime) errors.push(fieldRequired('eventTime'));
      for (const f of ['reportingController', 'reportingInstance', 'action', 'reason'])
        if (!o[f]) errors.push(fieldRequired(f));
      if (o.type !== undefined && !['Normal', 'Warning'].includes(String(o.type)))
        errors.push(fieldNotSupported('type', o.type, ['Normal', 'Warning']));
      if (typeof o.note === 'string' && o.note.length > 1024)
        errors.push({ type: 'FieldValueTooLong', field: 'note', detail: 'Too long: may not be more than 1024 bytes' });
      return errors;
    },
  },
});

const endpointSlice = defineBuiltin({
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  namespaced: true,
  schema: objectFrame(
    {
      addressType: str(),
      endpoints: atomicList(
        obj({
          addresses: atomicList(str()),
          conditions: obj({
            ready: { type: 'boolean' },
            serving: { type: 'boolean' },
            terminating: { type: 'boolean' },
          }),
          hostname: str(),
          targetRef: objectReferenceSchema,
          nodeName: str(),
          zone: str(),
          hints: opaque(),
          deprecatedTopology: opaque(),
        }),
      ),
      ports: atomicList(obj({ name: str(), protocol: str(), port: int(), appProtocol: str() })),
    },
    { required: ['addressType'] },
  ),
  columns: [
    col('AddressType', (o) => o.addressType),
    col('Ports', (o) => ((o.ports as JsonObject[] | undefined) ?? []).map((p) => p.port).join(',') || '<unset>'),
    col(
      'Endpoints',
      (o) =>
        ((o.endpoints as JsonObject[] | undefined) ?? []).flatMap((e) => (e.addresses as string[]) ?? []).join(',') ||
        '<unset>',
    ),
  ],
});

const whoAmI = defineBuiltin({
  group: 'authentication.k8s.io',
  version: 'v1',
  kind: 'SelfSubjectReview',
  plural: 'selfsubjectreviews',
  namespaced: false,
  verbs: ['create'],
  schema: objectFrame({ status: opaque() }),
  ephemeral: (o, user) => ({ ...o, status: { userInfo: user } }),
});

export const clusterTypes: ResourceType[] = [
  crd,
  webhookConfiguration('ValidatingWebhookConfiguration'),
  webhookConfiguration('MutatingWebhookConfiguration'),
  lease,
  eventsV1,
  endpointSlice,
  whoAmI,
];
