// The WorkflowApp JSON Schema (schema/workflowapp.schema.json): loaded once, compiled once with
// ajv, and used to check a WorkflowApp before it is applied (wfctl deploy) or reconciled.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export const workflowAppSchemaPath = new URL('../../schema/workflowapp.schema.json', import.meta.url).pathname;

/** A JSON Schema node, loosely typed: the generator walks arbitrary keywords. */
export type SchemaNode = { [keyword: string]: unknown };

/** Kubernetes' structural-schema extensions: annotations for ajv, meaning for the API server. */
const kubernetesKeywords = [
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
];

let loaded: SchemaNode | undefined;
const compiled = new Map<string, ValidateFunction>();

export function workflowAppSchema(): SchemaNode {
  loaded ??= loadSchema('workflowapp.schema.json');
  return loaded;
}

/** A JSON Schema file of schema/, parsed. */
export function loadSchema(file: string): SchemaNode {
  return JSON.parse(readFileSync(new URL(`../../schema/${file}`, import.meta.url), 'utf8')) as SchemaNode;
}

/** One schema violation, located by JSON pointer (e.g. /spec/replicas). */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

/** Checks `value` against a schema/ file's schema (compiled once per file). */
function validateAgainst(file: string, value: unknown): SchemaProblem[] {
  let validate = compiled.get(file);
  if (!validate) {
    // strictTypes off: `pattern` sits beside an int-or-string anyOf, as Kubernetes requires;
    // strictRequired off: the config/configMapRef oneOf names properties declared one level up.
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    for (const keyword of kubernetesKeywords) ajv.addKeyword(keyword);
    validate = ajv.compile(file === 'workflowapp.schema.json' ? workflowAppSchema() : loadSchema(file));
    compiled.set(file, validate);
  }
  if (validate(value)) return [];
  return simplify(validate.errors ?? []);
}

export function validateWorkflowAppObject(value: unknown): SchemaProblem[] {
  return validateAgainst('workflowapp.schema.json', value);
}

export function validateWorkflowTenantObject(value: unknown): SchemaProblem[] {
  return validateAgainst('workflowtenant.schema.json', value);
}

/** ajv reports every failed branch of a oneOf/anyOf; keep the messages a user can act on. */
function simplify(errors: ErrorObject[]): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'if') continue;
    let message: string;
    if (e.keyword === 'oneOf' && e.instancePath === '/spec') {
      message = 'set exactly one of spec.config (inline YAML) and spec.configMapRef';
    } else if (e.keyword === 'required' && e.schemaPath.includes('oneOf')) {
      continue;
    } else if (e.keyword === 'additionalProperties') {
      message = `unknown field "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    } else {
      message = e.message ?? e.keyword;
    }
    const key = `${e.instancePath}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer: e.instancePath || '/', message });
  }
  return out;
}

/** `/spec/plugins/0/name` -> `spec.plugins[0].name`, the form kubectl prints. */
export function pointerToFieldPath(pointer: string): string {
  if (pointer === '/' || pointer === '') return '(root)';
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, t) => (/^\d+$/.test(t) ? `${acc}[${t}]` : acc ? `${acc}.${t}` : t), '');
}
