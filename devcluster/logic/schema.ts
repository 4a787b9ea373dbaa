// Structural OpenAPI v3 schemas, as CRDs declare them (JSONSchemaProps) and as devcluster describes its
// built-in kinds. One walker serves validation (Kubernetes-style field errors), defaulting, pruning of
// unknown fields (with the pruned paths reported for fieldValidation=Strict/Warn), and lookups of list
// and patch semantics for strategic merge and server-side apply.
import {
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooLong,
  fieldTooMany,
  fieldDuplicate,
  fieldTypeInvalid,
  formatValue,
  type FieldError,
} from '../api/errors.ts';
import { compileLinearRegExp, ownValue, setOwn } from '../../security/index.ts';

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  title?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  not?: Schema;
  example?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'granular' | 'atomic';
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-validations'?: unknown[];
  [extension: `x-${string}`]: unknown;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Like isObject, but keeps the caller's declared type (for typed views of JSON). */
export function isStruct<T>(v: T): v is Exclude<T, null | undefined | unknown[] | string | number | boolean> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `spec.containers[0].image`: the path notation kube-apiserver uses in field errors. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(schema: Schema, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string'])
    return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  switch (schema.type) {
    case undefined:
      return true;
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
  }
}

const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
  ipv4: /^(\d{1,3}\.){3}\d{1,3}$/,
  hostname: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  email: /^[^@\s]+@[^@\s]+$/,
  uri: /^[a-zA-Z][a-zA-Z0-9+.-]*:/,
};

export interface ValidateOptions {
  /** Built-in kinds report type mismatches the way Go's JSON decoder does (400) — callers decide. */
  collectTypeErrors?: FieldError[];
}

/** Validates `value` against `schema`; returns field errors in document order. */
export function validateValue(value: unknown, schema: Schema, path: string, opts: ValidateOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  walkValidate(value, schema, path, errors, opts);
  return errors;
}

function walkValidate(value: unknown, schema: Schema, path: string, errors: FieldError[], opts: ValidateOptions): void {
  if (value === null || value === undefined) {
    return; // nulls of non-nullable fields are pruned before validation, like the apiserver does
  }
  if (!typeMatches(schema, value)) {
    const expected = schema['x-kubernetes-int-or-string'] ? 'integer or string' : schema.type!;
    const error = fieldTypeInvalid(
      path,
      value,
      `${path} in body must be of type ${expected}: ${JSON.stringify(typeName(value))}`,
    );
    (opts.collectTypeErrors ?? errors).push(error);
    return;
  }
  if (schema.enum && !schema.enum.some((e) => deepEqual(e, value)))
    errors.push(fieldNotSupported(path, value, schema.enum));
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) {
      errors.push(
        fieldInvalid(
          path,
          value,
          `${path} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`,
        ),
      );
    }
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) {
      errors.push(
        fieldInvalid(
          path,
          value,
          `${path} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`,
        ),
      );
    }
    if (schema.multipleOf !== undefined && !Number.isInteger(value / schema.multipleOf)) {
      errors.push(fieldInvalid(path, value, `${path} in body should be a multiple of ${schema.multipleOf}`));
    }
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength)
      errors.push(fieldInvalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
    if (schema.maxLength !== undefined && length > schema.maxLength) errors.push(fieldTooLong(path, schema.maxLength));
    if (schema.pattern !== undefined) {
      const problem = patternMismatch(schema.pattern, value);
      if (problem) errors.push(fieldInvalid(path, value, `${path} in body ${problem}`));
    }
    const format = schema.format === undefined ? undefined : ownValue<RegExp>(FORMATS, schema.format);
    if (format && !format.test(value)) {
      errors.push(
        fieldInvalid(path, value, `${path} in body must be of type ${schema.format}: ${JSON.stringify(value)}`),
      );
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(fieldInvalid(path, value.length, `${path} in body should have at least ${schema.minItems} items`));
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(fieldTooMany(path, value.length, schema.maxItems));
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set' || schema.uniqueItems) {
      value.forEach((item, i) => {
        if (value.findIndex((other) => deepEqual(other, item)) !== i)
          errors.push(fieldDuplicate(joinPath(path, i), item));
      });
    }
    if (listType === 'map') {
      const keys = schema['x-kubernetes-list-map-keys'] ?? [];
      const seen = new Set<string>();
      value.forEach((item, i) => {
        if (!isObject(item)) return;
        const id = JSON.stringify(keys.map((k) => ownValue(item, k) ?? null));
        if (seen.has(id))
          errors.push(fieldDuplicate(joinPath(path, i), Object.fromEntries(keys.map((k) => [k, ownValue(item, k)]))));
        seen.add(id);
      });
    }
    if (schema.items) value.forEach((item, i) => walkValidate(item, schema.items!, joinPath(path, i), errors, opts));
  }
  if (isObject(value)) {
    const count = Object.keys(value).length;
    if (schema.minProperties !== undefined && count < schema.minProperties)
      errors.push(fieldInvalid(path, count, `${path} in body should have at least ${schema.minProperties} properties`));
    if (schema.maxProperties !== undefined && count > schema.maxProperties)
      errors.push(fieldTooMany(path, count, schema.maxProperties));
    for (const key of schema.required ?? []) {
      if (ownValue(value, key) === undefined || ownValue(value, key) === null)
        errors.push(fieldRequired(joinPath(path, key)));
    }
    for (const [key, child] of Object.entries(value)) {
      const sub = childSchema(schema, key);
      if (sub) walkValidate(child, sub, joinPath(path, key), errors, opts);
    }
  }
  for (const sub of schema.allOf ?? []) walkValidate(value, sub, path, errors, opts);
  if (schema.anyOf && !schema.anyOf.some((sub) => validateValue(value, sub, path).length === 0)) {
    errors.push(fieldInvalid(path, value, `${path} in body must match at least one schema in anyOf`));
  }
  if (schema.oneOf && schema.oneOf.filter((sub) => validateValue(value, sub, path).length === 0).length !== 1) {
    errors.push(fieldInvalid(path, value, `${path} in body must match exactly one schema in oneOf`));
  }
  if (schema.not && validateValue(value, schema.not, path).length === 0) {
    errors.push(fieldInvalid(path, value, `${path} in body should not match the schema in "not"`));
  }
}

/** Linear-time matching (RE2): a pattern never costs more than the length of the value. */
function patternMismatch(pattern: string, value: string): string | undefined {
  try {
    return compileLinearRegExp(pattern).test(value) ? undefined : `should match '${pattern}'`;
  } catch (e) {
    // only a CRD stored before patterns were checked at creation can hold one RE2 refuses
    return `cannot be checked against '${pattern}': ${(e as Error).message}; fix the pattern in the CRD`;
  }
}

/**
 * Removes fields the schema does not declare (unless x-kubernetes-preserve-unknown-fields) and nulls
 * of non-nullable fields. Returns the removed paths (`spec.foo`) for strict field validation.
 */
export function prune(value: unknown, schema: Schema, path: string): string[] {
  const unknown: string[] = [];
  walkPrune(value, schema, path, unknown);
  return unknown;
}

function walkPrune(value: unknown, schema: Schema, path: string, unknown: string[]): void {
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => walkPrune(item, schema.items!, joinPath(path, i), unknown));
    return;
  }
  if (!isObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(value)) {
    const child = childSchema(schema, key);
    // apiVersion, kind and metadata are implicitly declared on embedded resources
    const implicit = schema['x-kubernetes-embedded-resource'] && ['apiVersion', 'kind', 'metadata'].includes(key);
    if (!child) {
      if (!preserve && schema.additionalProperties !== true && !implicit) {
        unknown.push(joinPath(path, key));
        delete value[key];
      }
      continue;
    }
    if (ownValue(value, key) === null && !child.nullable) {
      delete value[key];
      continue;
    }
    walkPrune(ownValue(value, key), child, joinPath(path, key), unknown);
  }
}

/** Fills in `default`s for absent fields, recursively (schema order), mutating `value`. */
export function applyDefaults(value: unknown, schema: Schema): void {
  if (Array.isArray(value) && schema.items) {
    for (const item of value) applyDefaults(item, schema.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (ownValue(value, key) === undefined && child.default !== undefined)
      setOwn(value, key, structuredClone(child.default));
    const present = ownValue(value, key);
    if (present !== undefined) applyDefaults(present, child);
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(value))
      if (!ownValue(schema.properties, key)) applyDefaults(value[key], schema.additionalProperties);
  }
}

/** The schema of a child: a property, or the map value / list item schema. */
export function childSchema(schema: Schema | undefined, key: string | number): Schema | undefined {
  if (!schema) return undefined;
  if (typeof key === 'number') return schema.items;
  return (
    ownValue<Schema>(schema.properties, key) ??
    (isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : undefined)
  );
}

export type ListSemantics = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

/** How a list merges under server-side apply; strategic-merge keys double as map keys for built-ins. */
export function listSemantics(schema: Schema | undefined): ListSemantics {
  const type = schema?.['x-kubernetes-list-type'];
  if (type === 'map') return { type: 'map', keys: schema!['x-kubernetes-list-map-keys'] ?? [] };
  if (type === 'set') return { type: 'set' };
  return { type: 'atomic' };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b as object, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

export { formatValue };
