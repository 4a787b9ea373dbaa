// schema/: public surface. Other folders import it only through this file.
// JSON Schemas compiled once with ajv (at build time in dist/); callers get plain problem lists with JSON paths.
import type { ErrorObject } from 'ajv';
import pluginManifestSchemaJson from './plugin-manifest.schema.json' with { type: 'json' };
import workflowConfigSchemaJson from './workflow-config.schema.json' with { type: 'json' };
import { compiledValidator } from './validators.ts';

export { compiledValidator } from './validators.ts';
export type { ValidatorName } from './validator-definitions.ts';

/** The workflow config JSON Schema (draft-07), as `wfctl schema` prints it. */
export const workflowConfigSchema: Record<string, unknown> = workflowConfigSchemaJson as Record<string, unknown>;
/** The registry plugin manifest JSON Schema (draft 2020-12). */
export const pluginManifestSchema: Record<string, unknown> = pluginManifestSchemaJson as Record<string, unknown>;

export interface SchemaProblem {
  /** Path segments of the offending value (array indexes as numbers). */
  path: Array<string | number>;
  message: string;
  keyword: string;
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function typeNoun(t: string): string {
  if (t === 'null') return 'empty';
  const noun = t === 'object' ? 'map' : t === 'array' ? 'list' : t;
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

function describe(err: ErrorObject): { path: Array<string | number>; message: string } {
  const path = pointerToPath(err.instancePath);
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { path, message: `missing required key "${String(p.missingProperty)}"` };
    case 'type':
      return { path, message: `must be ${String(p.type).split(',').map(typeNoun).join(' or ')}` };
    case 'enum':
      return {
        path,
        message: `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'additionalProperties':
      return {
        path: [...path, String(p.additionalProperty)],
        message: `unknown key "${String(p.additionalProperty)}"`,
      };
    default:
      return { path, message: err.message ?? err.keyword };
  }
}

/** Shape problems of a decoded workflow config (empty when it matches the schema). */
export function checkWorkflowConfigShape(value: unknown): SchemaProblem[] {
  const validate = compiledValidator('workflow-config');
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
