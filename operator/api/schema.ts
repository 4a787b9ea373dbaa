// The WorkflowApp JSON Schema (schema/workflowapp.schema.json), compiled once with ajv (schema/validators.ts),
// used to check a WorkflowApp before it is applied (wfctl deploy) or reconciled.
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { compiledValidator, type ValidatorName } from '../../schema/index.ts';

/** A JSON Schema node, loosely typed: the generator walks arbitrary keywords. */
export type SchemaNode = { [keyword: string]: unknown };

let loaded: SchemaNode | undefined;

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

/** Checks `value` against one of our schemas (compiled once: schema/validators.ts). */
function validateAgainst(name: ValidatorName, value: unknown): SchemaProblem[] {
  const validate = compiledValidator(name);
  if (validate(value)) return [];
  return simplify(validate.errors ?? []);
}

export function validateWorkflowAppObject(value: unknown): SchemaProblem[] {
  return validateAgainst('workflowapp', value);
}

export function validateWorkflowTenantObject(value: unknown): SchemaProblem[] {
  return validateAgainst('workflowtenant', value);
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
      message =
        `must be one of ` +
        `${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
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
