// schema/: public surface. Other folders import it only through this file.
// JSON Schemas compiled once with ajv; callers get plain problem lists with JSON paths.
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import workflowConfigSchemaJson from './workflow-config.schema.json' with { type: 'json' };

const require = createRequire(import.meta.url);
// ajv ships CommonJS; createRequire keeps its default export usable under NodeNext ESM
const Ajv = require('ajv') as typeof import('ajv').default;

/** The workflow config JSON Schema (draft-07), as `wfctl schema` prints it. */
export const workflowConfigSchema: Record<string, unknown> = workflowConfigSchemaJson as Record<string, unknown>;

export interface SchemaProblem {
  /** Path segments of the offending value (array indexes as numbers). */
  path: Array<string | number>;
  message: string;
  keyword: string;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(workflowConfigSchema);
  return compiled;
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(err: ErrorObject): { path: Array<string | number>; message: string } {
  const path = pointerToPath(err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { path, message: `missing required key "${String(p.missingProperty)}"` };
    case 'type':
      return { path, message: `must be ${String(p.type).split(',').map((t) => (t === 'null' ? 'empty' : `a${/^[aeiou]/.test(t) ? 'n' : ''} ${t === 'object' ? 'map' : t === 'array' ? 'list' : t}`)).join(' or ')}` };
    case 'enum':
      return { path, message: `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'additionalProperties':
      return { path: [...path, String(p.additionalProperty)], message: `unknown key "${String(p.additionalProperty)}"` };
    default:
      return { path, message: err.message ?? err.keyword };
  }
}

/** Shape problems of a decoded workflow config (empty when it matches the schema). */
export function checkWorkflowConfigShape(value: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(value)) return [];
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const err of validate.errors ?? []) {
    const d = describe(err);
    const key = JSON.stringify(d);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...d, keyword: err.keyword });
  }
  return out;
}
