// Generates the CustomResourceDefinitions (WorkflowApp, WorkflowSource) from their JSON Schemas, so one schema drives
// validation, the CRD and docs. Kubernetes wants a *structural* OpenAPI v3 schema: every node
// typed, no $ref, no `const`, no `additionalProperties: false` (unknown fields are pruned instead).
import { stringify } from 'yaml';
import * as api from './constants.ts';
import { loadSchema, workflowAppSchema, type SchemaNode } from './schema.ts';
import * as sourceApi from './source-constants.ts';
import * as tenantApi from './tenant-constants.ts';

const dropped = new Set(['$schema', '$id', '$defs', '$comment', 'title', 'examples']);

/** JSON Schema (draft 2020-12, as written in schema/) -> structural OpenAPI v3 node. */
export function toStructural(node: SchemaNode, defs: Record<string, SchemaNode>): SchemaNode {
  if (typeof node.$ref === 'string') {
    const name = node.$ref.replace(/^#\/\$defs\//, '');
    const target = defs[name];
    if (!target) throw new Error(`schema: unresolved $ref ${node.$ref}`);
    const { $ref: _ref, ...siblings } = node;
    return toStructural({ ...target, ...siblings }, defs);
  }
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (dropped.has(key)) continue;
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'const') {
      out.type = jsonType(value);
      out.enum = [value];
    } else if (key === 'enum' && node.type === undefined) {
      const values = value as unknown[];
      out.type = jsonType(values[0]);
      out.enum = values;
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, SchemaNode>).map(([k, v]) => [k, toStructural(v, defs)]),
      );
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = toStructural(value as SchemaNode, defs);
    } else if (key === 'oneOf' || key === 'anyOf' || key === 'allOf') {
      out[key] = (value as SchemaNode[]).map((v) => toStructural(v, defs));
    } else {
      out[key] = value;
    }
  }
  return out;
}

function jsonType(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (Number.isInteger(value)) return 'integer';
  if (typeof value === 'number') return 'number';
  throw new Error(`schema: cannot infer a type for ${JSON.stringify(value)}`);
}

/** What differs between the project's CRDs; everything else is generated the same way. */
export interface CrdDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** The JSON Schema file under schema/ (named in the generated file's header). */
  schemaFile: string;
  schema: SchemaNode;
  subresources: Record<string, unknown>;
  printerColumns: Array<Record<string, unknown>>;
  /** Default Namespaced. */
  scope?: 'Namespaced' | 'Cluster';
}

export function crdFromSchema(def: CrdDefinition): Record<string, unknown> {
  const schema = def.schema;
  const defs = (schema.$defs ?? {}) as Record<string, SchemaNode>;
  const props = schema.properties as Record<string, SchemaNode>;
  const openAPIV3Schema: SchemaNode = {
    description: schema.description,
    type: 'object',
    required: ['spec'],
    properties: {
      // Every Kubernetes object carries these; the API server fills and checks them itself.
      apiVersion: { type: 'string', description: props.apiVersion?.description },
      kind: { type: 'string', description: props.kind?.description },
      metadata: { type: 'object' },
      spec: toStructural(props.spec!, defs),
      status: toStructural(props.status!, defs),
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${api.group}`,
      labels: { 'app.kubernetes.io/name': 'workflow-operator', 'app.kubernetes.io/part-of': 'workflow-platform' },
    },
    spec: {
      group: api.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['workflow'],
      },
      scope: def.scope ?? 'Namespaced',
      versions: [
        {
          name: api.version,
          served: true,
          storage: true,
          subresources: def.subresources,
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

export function workflowAppCrd(schema: SchemaNode = workflowAppSchema()): Record<string, unknown> {
  return crdFromSchema({
    kind: api.kind,
    plural: api.plural,
    singular: api.singular,
    shortNames: api.shortNames,
    schemaFile: 'workflowapp.schema.json',
    schema,
    subresources: {
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      },
    },
    printerColumns: [
      {
        name: 'Ready',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Ready")].status',
        description: 'Ready condition',
      },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired engine pods' },
      {
        name: 'Available',
        type: 'integer',
        jsonPath: '.status.readyReplicas',
        description: 'Engine pods passing readiness',
      },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', priority: 1 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  });
}

/** The WorkflowSource CRD: `kubectl get wfs` reads like `argocd app list`. */
export function workflowSourceCrd(
  schema: SchemaNode = loadSchema('workflowsource.schema.json'),
): Record<string, unknown> {
  return crdFromSchema({
    kind: sourceApi.kind,
    plural: sourceApi.plural,
    singular: sourceApi.singular,
    shortNames: sourceApi.shortNames,
    schemaFile: 'workflowsource.schema.json',
    schema,
    subresources: { status: {} },
    printerColumns: [
      { name: 'Sync', type: 'string', jsonPath: '.status.sync.status', description: 'Synced, OutOfSync or Unknown' },
      { name: 'Health', type: 'string', jsonPath: '.status.health.status', description: 'Worst health of its objects' },
      { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', description: 'Commit compared with' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'Repo', type: 'string', jsonPath: '.spec.repoURL', priority: 1 },
      { name: 'Path', type: 'string', jsonPath: '.spec.path', priority: 1 },
      {
        name: 'Message',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Ready")].message',
        priority: 1,
      },
    ],
  });
}

/** The WorkflowTenant CRD: `kubectl get wft` shows each tenant's usage against its limits. */
export function workflowTenantCrd(
  schema: SchemaNode = loadSchema('workflowtenant.schema.json'),
): Record<string, unknown> {
  return crdFromSchema({
    kind: tenantApi.kind,
    plural: tenantApi.plural,
    singular: tenantApi.singular,
    shortNames: tenantApi.shortNames,
    schemaFile: 'workflowtenant.schema.json',
    schema,
    scope: 'Cluster',
    subresources: { status: {} },
    printerColumns: [
      { name: 'Apps', type: 'string', jsonPath: '.status.display.apps', description: 'WorkflowApps / maxApps' },
      {
        name: 'Replicas',
        type: 'string',
        jsonPath: '.status.display.replicas',
        description: 'Engine replicas / maxReplicas',
      },
      {
        name: 'Plugins',
        type: 'string',
        jsonPath: '.status.display.plugins',
        description: 'Plugins in use / maxPlugins',
      },
      { name: 'Tier', type: 'string', jsonPath: '.status.license.tier' },
      {
        name: 'License',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="LicenseValid")].status',
        description: 'LicenseValid condition',
      },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'Expires', type: 'string', jsonPath: '.status.license.expiresAt', priority: 1 },
      { name: 'Namespaces', type: 'string', jsonPath: '.spec.namespaces', priority: 1 },
    ],
  });
}

/** Every CRD the operator serves, with its crds/ file name. */
export function generatedCrds(): Array<{ file: string; schemaFile: string; crd: Record<string, unknown> }> {
  return [
    { file: `${api.crdName}.yaml`, schemaFile: 'workflowapp.schema.json', crd: workflowAppCrd() },
    { file: `${sourceApi.crdName}.yaml`, schemaFile: 'workflowsource.schema.json', crd: workflowSourceCrd() },
    { file: `${tenantApi.crdName}.yaml`, schemaFile: 'workflowtenant.schema.json', crd: workflowTenantCrd() },
  ];
}

export const crdFileName = `${api.crdName}.yaml`;

/** A crds/ file's text: deterministic, so a test can compare it byte for byte. */
export function crdYaml(entry: { schemaFile: string; crd: Record<string, unknown> }): string {
  return (
    `# Generated from schema/${entry.schemaFile} by \`wfctl operator crds\`. Do not edit by hand:\n` +
    '# change the schema and run `npm run -s wfctl -- operator crds --write crds`.\n' +
    stringify(entry.crd, { lineWidth: 0 })
  );
}

export function workflowAppCrdYaml(): string {
  return crdYaml(generatedCrds()[0]!);
}
