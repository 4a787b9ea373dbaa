// schema/: public surface. Other folders import it only through this file.
// JSON Schemas compiled once with ajv; callers get plain problem lists with JSON paths.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import workflowConfigSchemaJson from './workflow-config.schema.json' with { type: 'json' };

const require = createRequire(import.meta.url);

/** The workflow config JSON Schema (draft-07), as `wfctl schema` prints it. */
export const workflowConfigSchema: Record<string, unknown> = workflowConfigSchemaJson as Record<string, unknown>;

export interface SchemaProblem {
  /** Path segments of the offending value (array indexes as numbers). */
  path: Array<string | number>;
  message: string;
  keyword: string;
}

let compiled: ValidateFunction | undefined;

/**
 * ajv compiles the schema into code, which costs more than the rest of an engine's start; the
 * generated code is cached (node_modules/.cache, keyed by schema and ajv version) so `wfctl run`
 * cold starts skip both loading ajv and compiling.
 */
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  const key = createHash('sha256')
    .update(ajvVersion)
    .update(JSON.stringify(workflowConfigSchema))
    .digest('hex')
    .slice(0, 16);
  const cacheDir = join(new URL('..', import.meta.url).pathname, 'node_modules', '.cache', 'workflow-schema');
  const cacheFile = join(cacheDir, `workflow-config-${key}.cjs`);
  try {
    compiled = loadStandalone(readFileSync(cacheFile, 'utf8'));
    return compiled;
  } catch {
    // not cached yet (or unreadable): compile below
  }
  const Ajv = require('ajv') as typeof import('ajv').default;
  const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: unknown, v: ValidateFunction) => string })
    .default;
  const ajv = new Ajv({ allErrors: true, strict: false, code: { source: true } });
  compiled = ajv.compile(workflowConfigSchema);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, standaloneCode(ajv, compiled));
    renameSync(tmp, cacheFile);
  } catch {
    // a read-only install just compiles every time
  }
  return compiled;
}

function loadStandalone(code: string): ValidateFunction {
  const mod: { exports: unknown } = { exports: {} };
  // the generated module only requires ajv's small runtime helpers, resolved from this package
  new Function('require', 'module', 'exports', code)(require, mod, mod.exports);
  const fn = (mod.exports as { default?: ValidateFunction }).default ?? (mod.exports as ValidateFunction);
  if (typeof fn !== 'function') throw new Error('bad cached validator');
  return fn;
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
