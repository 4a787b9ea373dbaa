// OpenAPI v3 documents per group-version. kubectl's default (strict) apply looks for the
// `fieldValidation` query parameter on the kind's PATCH operation; finding it, kubectl leaves field
// validation to the server (KUBERNETES.md 0.5). Schemas are the same ones the server validates with.
import { createHash } from 'node:crypto';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { ResourceType } from '../resources/resource-type.ts';

const q = (name: string, description: string, type = 'string') => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});
const PARAM = {
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All'),
  fieldManager: q(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  fieldValidation: q(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or ' +
      'duplicate fields. Valid values are: Ignore, Warn (default), Strict.',
  ),
  force: q(
    'force',
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.',
    'boolean',
  ),
  pretty: q('pretty', "If 'true', then the output is pretty printed."),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: q(
    'resourceVersion',
    'resourceVersion sets a constraint on what resource versions a request may be served from.',
  ),
  watch: q(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove ' +
      'notifications.',
    'boolean',
  ),
  allowWatchBookmarks: q(
    'allowWatchBookmarks',
    'allowWatchBookmarks requests watch events with type "BOOKMARK".',
    'boolean',
  ),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  propagationPolicy: q(
    'propagationPolicy',
    "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', " +
      "'Foreground'.",
  ),
  gracePeriodSeconds: q(
    'gracePeriodSeconds',
    'The duration in seconds before the object should be deleted.',
    'integer',
  ),
  name: {
    name: 'name',
    in: 'path',
    description: 'name of the resource',
    required: true,
    schema: { type: 'string', uniqueItems: true },
  },
  namespace: {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    schema: { type: 'string', uniqueItems: true },
  },
};

const GROUP_PACKAGES: Record<string, string> = {
  '': 'io.k8s.api.core',
  apps: 'io.k8s.api.apps',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  'events.k8s.io': 'io.k8s.api.events',
  'discovery.k8s.io': 'io.k8s.api.discovery',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'authorization.k8s.io': 'io.k8s.api.authorization',
  'authentication.k8s.io': 'io.k8s.api.authentication',
  'storage.k8s.io': 'io.k8s.api.storage',
  'networking.k8s.io': 'io.k8s.api.networking',
  'admissionregistration.k8s.io': 'io.k8s.api.admissionregistration',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
};

export function schemaName(t: Pick<ResourceType, 'group' | 'version' | 'kind' | 'builtin'>, kind = t.kind): string {
  const pkg = t.builtin ? (GROUP_PACKAGES[t.group] ?? `io.k8s.api.${t.group}`) : t.group.split('.').reverse().join('.');
  return `${pkg}.${t.version}.${kind}`;
}

function gvk(t: ResourceType, kind = t.kind) {
  return { group: t.group, version: t.version, kind };
}

function op(t: ResourceType, action: string, id: string, parameters: object[], kind = t.kind, body?: object) {
  const ref = { $ref: `#/components/schemas/${schemaName(t, kind)}` };
  return {
    description: `${action} ${kind}`,
    operationId: id,
    parameters,
    ...(body ? { requestBody: body } : {}),
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: ref } } },
      '401': { description: 'Unauthorized' },
    },
    tags: [t.group || 'core'],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(t, kind),
  };
}

function jsonBody(t: ResourceType) {
  return { content: { '*/*': { schema: { $ref: `#/components/schemas/${schemaName(t)}` } } }, required: true };
}

function patchBody(t: ResourceType) {
  const schema = { type: 'object' };
  const types = [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(t.builtin ? ['application/strategic-merge-patch+json'] : []),
  ];
  return { content: Object.fromEntries(types.map((ct) => [ct, { schema }])), required: true };
}

function pathsFor(t: ResourceType): Record<string, object> {
  if (!t.verbs.includes('get')) return createOnlyPaths(t);
  const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const scoped = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
  const id = (verb: string, suffix = '') => `${verb}${t.namespaced ? 'Namespaced' : ''}${t.kind}${suffix}`;
  const scope = t.namespaced ? [PARAM.namespace] : [];
  const listParams = [
    PARAM.labelSelector,
    PARAM.fieldSelector,
    PARAM.limit,
    PARAM.continue,
    PARAM.resourceVersion,
    PARAM.watch,
    PARAM.allowWatchBookmarks,
    PARAM.timeoutSeconds,
  ];
  const write = [PARAM.dryRun, PARAM.fieldManager, PARAM.fieldValidation];
  const paths: Record<string, object> = {
    [scoped]: {
      get: op(t, 'list', id('list'), listParams, `${t.kind}List`),
      post: op(t, 'post', id('create'), write, t.kind, jsonBody(t)),
      delete: op(t, 'deletecollection', id('deleteCollection'), [
        PARAM.labelSelector,
        PARAM.fieldSelector,
        PARAM.dryRun,
        PARAM.propagationPolicy,
        PARAM.gracePeriodSeconds,
      ]),
      parameters: [...scope, PARAM.pretty],
    },
    [`${scoped}/{name}`]: {
      get: op(t, 'get', id('read'), []),
      put: op(t, 'put', id('replace'), write, t.kind, jsonBody(t)),
      patch: op(t, 'patch', id('patch'), [...write, PARAM.force], t.kind, patchBody(t)),
      delete: op(t, 'delete', id('delete'), [PARAM.dryRun, PARAM.propagationPolicy, PARAM.gracePeriodSeconds]),
      parameters: [PARAM.name, ...scope, PARAM.pretty],
    },
  };
  if (t.namespaced)
    paths[`${prefix}/${t.plural}`] = {
      get: op(t, 'list', `list${t.kind}ForAllNamespaces`, listParams, `${t.kind}List`),
      parameters: [PARAM.pretty],
    };
  if (t.statusSubresource) {
    paths[`${scoped}/{name}/status`] = {
      get: op(t, 'get', id('read', 'Status'), []),
      put: op(t, 'put', id('replace', 'Status'), write, t.kind, jsonBody(t)),
      patch: op(t, 'patch', id('patch', 'Status'), [...write, PARAM.force], t.kind, patchBody(t)),
      parameters: [PARAM.name, ...scope, PARAM.pretty],
    };
  }
  return paths;
}

function createOnlyPaths(t: ResourceType): Record<string, object> {
  const prefix = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  return {
    [`${prefix}/${t.plural}`]: {
      post: op(
        t,
        'post',
        `create${t.kind}`,
        [PARAM.dryRun, PARAM.fieldManager, PARAM.fieldValidation],
        t.kind,
        jsonBody(t),
      ),
      parameters: [PARAM.pretty],
    },
  };
}

function listSchema(t: ResourceType): object {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      items: { type: 'array', items: { $ref: `#/components/schemas/${schemaName(t)}` } },
    },
    'x-kubernetes-group-version-kind': [gvk(t, `${t.kind}List`)],
  };
}

export function groupVersionDocument(catalog: ResourceCatalog, group: string, version: string): object | undefined {
  const types = catalog.resourcesOf(group, version);
  if (types.length === 0) return undefined;
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  for (const t of types) {
    Object.assign(paths, pathsFor(t));
    schemas[schemaName(t)] = { ...t.schema, 'x-kubernetes-group-version-kind': [gvk(t)] };
    schemas[schemaName(t, `${t.kind}List`)] = listSchema(t);
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.4' }, paths, components: { schemas } };
}

/** Path of a group-version in /openapi/v3: `api/v1` or `apis/apps/v1`. */
function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiRoot(catalog: ResourceCatalog, hashOf: (group: string, version: string) => string): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of catalog.groups()) {
    for (const v of g.versions) {
      const path = groupVersionPath(g.group, v);
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(g.group, v)}` };
    }
  }
  return { paths };
}

export function documentHash(doc: object): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase().slice(0, 128);
}
