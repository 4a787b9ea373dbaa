// JSON Schema check of a manifest (draft 2020-12, ajv, compiled once: schema/validators.ts) with ajv's errors
// turned into Problems that say what to change, not just which keyword failed.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compiledValidator, pluginManifestSchema } from '../schema/index.ts';
import type { JsonDocument } from './json-source.ts';
import { escapePointerToken } from './json-source.ts';
import type { Problem } from './problem.ts';
import { closestMatch } from '../common/index.ts';

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  $ref?: string;
  enum?: unknown[];
}

function manifestSchema(): { validate: ValidateFunction; schema: SchemaNode } {
  return { validate: compiledValidator('plugin-manifest'), schema: pluginManifestSchema as SchemaNode };
}

/** Schema problems of one parsed document; empty when it conforms. */
export function schemaProblems(file: string, doc: JsonDocument): Problem[] {
  const { validate, schema } = manifestSchema();
  if (validate(doc.value)) return [];
  const errors = (validate.errors ?? []).filter((e) => !isNoise(e));
  return errors.map((e) => toProblem(file, doc, e, schema));
}

// `flags_passthrough` gets its own rule with a precise hint (rules.ts), so the generic
// "unknown property" for it would only repeat the message.
function isNoise(e: ErrorObject): boolean {
  return (
    e.keyword === 'additionalProperties' &&
    (e.params as { additionalProperty: string }).additionalProperty === 'flags_passthrough'
  );
}

function toProblem(file: string, doc: JsonDocument, e: ErrorObject, schema: SchemaNode): Problem {
  const at = e.instancePath;
  const field = at === '' ? 'the manifest' : `"${at.slice(at.lastIndexOf('/') + 1)}"`;
  const base = { file, jsonPointer: at, rule: `schema/${e.keyword}`, severity: 'error' as const };
  const where = (pointer: string, key = false) => doc.locate(pointer, { key });
  switch (e.keyword) {
    case 'required': {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      const desc = describe(schema, `${e.schemaPath.replace(/\/required$/, '')}/properties/${prop}`);
      return {
        ...base,
        ...where(at),
        message: `${field} is missing required property "${prop}"`,
        hint: `add "${prop}"${desc ? ` (${desc})` : ''}`,
      };
    }
    case 'additionalProperties': {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys(
        nodeAt(schema, e.schemaPath.replace(/\/additionalProperties$/, ''))?.properties ?? {},
      );
      const guess = closestMatch(prop, allowed);
      return {
        ...base,
        ...where(`${at}/${escapePointerToken(prop)}`, true),
        jsonPointer: `${at}/${escapePointerToken(prop)}`,
        message: `unknown property "${prop}" in ${field}`,
        hint: guess ? `did you mean "${guess}"?` : `remove it; allowed here: ${allowed.join(', ')}`,
      };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const value = display(valueAt(doc.value, at));
      const guess = closestMatch(value, allowed);
      return {
        ...base,
        ...where(at),
        message: `${field} is "${value}", which is not one of: ${allowed.join(', ')}`,
        hint: guess ? `did you mean "${guess}"?` : `use one of: ${allowed.join(', ')}`,
      };
    }
    case 'type': {
      const want = (e.params as { type: string }).type;
      return {
        ...base,
        ...where(at),
        message: `${field} must be ${article(want)} ${want}, not ${jsonTypeOf(valueAt(doc.value, at))}`,
        hint: want === 'string' ? 'wrap the value in double quotes' : `change it to ${article(want)} ${want}`,
      };
    }
    case 'pattern': {
      const value = display(valueAt(doc.value, at));
      const isVersion = (e.params as { pattern: string }).pattern.includes('\\d+\\.\\d+\\.\\d+');
      return isVersion
        ? {
            ...base,
            ...where(at),
            message: `${field} is "${value}", not a MAJOR.MINOR.PATCH version`,
            hint: 'write the version like 1.4.0',
          }
        : {
            ...base,
            ...where(at),
            message: `${field} is "${value}", which does not match ${(e.params as { pattern: string }).pattern}`,
            hint: 'fix the value to match the pattern',
          };
    }
    case 'minLength':
      return {
        ...base,
        ...where(at),
        message: `${field} must not be empty`,
        hint: 'fill in a value or remove the property if it is optional',
      };
    default:
      return {
        ...base,
        ...where(at),
        message: `${field} ${e.message ?? 'is invalid'}`,
        hint: 'see schema/plugin-manifest.schema.json',
      };
  }
}

function nodeAt(schema: SchemaNode, schemaPath: string): SchemaNode | undefined {
  let node: unknown = schema;
  for (const token of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
    const ref = (node as SchemaNode | undefined)?.$ref;
    if (ref) node = nodeAt(schema, ref);
  }
  return node as SchemaNode | undefined;
}

function describe(schema: SchemaNode, schemaPath: string): string | undefined {
  const d = nodeAt(schema, schemaPath)?.description;
  return d ? d.replace(/\.$/, '') : undefined;
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const token of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${article(typeof v)} ${typeof v} (${JSON.stringify(v)})`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** A value as a message shows it; String() would throw on an object whose own `toString` is data. */
function display(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}
