// Generates the WorkflowApp CustomResourceDefinition from the JSON Schema, so one schema drives
// validation, the CRD and docs. Kubernetes wants a *structural* OpenAPI v3 schema: every node
// typed, no $ref, no `const`, no `additionalProperties: false` (unknown fields are pruned instead).
import { stringify } from 'yaml';
import * as api from './constants.ts';
import { workflowAppSchema, type SchemaNode } from './schema.ts';

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

export function workflowAppCrd(schema: SchemaNode = workflowAppSchema()): Record<string, unknown> {
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
      name: api.crdName,
      labels: { 'app.kubernetes.io/name': 'workflow-operator', 'app.kubernetes.io/part-of': 'workflow-platform' },
    },
    spec: {
      group: api.group,
      names: {
        kind: api.kind,
        listKind: `${api.kind}List`,
        plural: api.plural,
        singular: api.singular,
        shortNames: api.shortNames,
        categories: ['workflow'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: api.version,
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: [
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
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

export const crdFileName = `${api.crdName}.yaml`;

/** The crds/ file text: deterministic, so a test can compare it byte for byte. */
export function workflowAppCrdYaml(): string {
  return (
    '# Generated from schema/workflowapp.schema.json by `wfctl operator crds`. Do not edit by hand:\n' +
    '# change the schema and run `npm run -s wfctl -- operator crds > crds/' +
    crdFileName +
    '`.\n' +
    stringify(workflowAppCrd(), { lineWidth: 0 })
  );
}
