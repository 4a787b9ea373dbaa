// The one JSON Schema compiler for schemas written in app configs (step.validate, jsonschema.modular):
// ajv with its formats, loaded on first use (most apps never compile a schema, and ajv is slow to
// load); draft-07 by default, draft 2020-12 when the schema's `$schema` names it.
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
const instances = new Map<'draft7' | 'draft2020', Ajv>();

function ajvFor(draft: 'draft7' | 'draft2020'): Ajv {
  let ajv = instances.get(draft);
  if (!ajv) {
    const AjvClass =
      draft === 'draft2020'
        ? (require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).Ajv2020
        : (require('ajv') as typeof import('ajv')).Ajv;
    ajv = new AjvClass({ allErrors: true, strict: false }) as Ajv;
    (require('ajv-formats') as (a: Ajv) => void)(ajv);
    instances.set(draft, ajv);
  }
  return ajv;
}

/** Compile a JSON Schema; throws ajv's error for a schema that is not valid. */
export function compileJsonSchema(schema: object): ValidateFunction {
  const declared = (schema as { $schema?: unknown }).$schema;
  const draft = typeof declared === 'string' && declared.includes('2020-12') ? 'draft2020' : 'draft7';
  return ajvFor(draft).compile(schema);
}

/** "path message" for each problem, e.g. "/age must be integer"; the root is "(root)". */
export function schemaProblems(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}
