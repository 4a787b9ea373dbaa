// The operations of a data.transformer pipeline (upstream: extract, map, filter, convert), as pure
// functions over JSON-like values. Errors say which operation failed and why.
import { setOwn } from '../../security/index.ts';
import { isPlainObject } from '../support/index.ts';

export interface TransformOperation {
  type: 'extract' | 'map' | 'filter' | 'convert';
  config: Record<string, unknown>;
}

export function applyOperations(ops: TransformOperation[], data: unknown): unknown {
  return ops.reduce((current, op, i) => {
    try {
      return applyOperation(op, current);
    } catch (err) {
      throw new Error(`operation ${i} (${op.type}) failed: ${(err as Error).message}`);
    }
  }, data);
}

function applyOperation(op: TransformOperation, data: unknown): unknown {
  switch (op.type) {
    case 'extract':
      return extract(data, requireString(op.config, 'path'));
    case 'map':
      return renameFields(data, op.config.mappings);
    case 'filter':
      return keepFields(data, op.config.fields);
    case 'convert':
      return convert(data, requireString(op.config, 'from'), requireString(op.config, 'to'));
  }
}

export function extract(data: unknown, path: string): unknown {
  let current = data;
  for (const part of path.split('.')) {
    if (Array.isArray(current)) {
      const index = Number(part);
      if (!Number.isInteger(index)) throw new Error(`expected a numeric index for a list, got "${part}"`);
      if (index < 0 || index >= current.length)
        throw new Error(`index ${index} out of bounds (length ${current.length})`);
      current = current[index];
    } else if (isPlainObject(current)) {
      if (!Object.hasOwn(current, part)) throw new Error(`key "${part}" not found in path "${path}"`);
      current = current[part];
    } else {
      throw new Error(`cannot navigate into ${typeof current} at "${part}"`);
    }
  }
  return current;
}

function renameFields(data: unknown, mappings: unknown): unknown {
  if (!isPlainObject(mappings) || Object.keys(mappings).length === 0)
    throw new Error('map requires a non-empty "mappings" map');
  if (!isPlainObject(data)) throw new Error('map needs a map as input');
  const result = { ...data };
  for (const [from, to] of Object.entries(mappings)) {
    if (typeof to === 'string' && Object.hasOwn(result, from)) {
      setOwn(result, to, result[from]);
      delete result[from];
    }
  }
  return result;
}

function keepFields(data: unknown, fields: unknown): unknown {
  if (!Array.isArray(fields) || fields.length === 0) throw new Error('filter requires a non-empty "fields" list');
  if (!isPlainObject(data)) throw new Error('filter needs a map as input');
  const keep = new Set(fields.map(String));
  return Object.fromEntries(Object.entries(data).filter(([k]) => keep.has(k)));
}

function convert(data: unknown, from: string, to: string): unknown {
  if (from === 'json' && to === 'json') return JSON.parse(JSON.stringify(data));
  if (from === 'json' && to === 'string') return JSON.stringify(data);
  if (from === 'string' && to === 'json') {
    if (typeof data !== 'string') throw new Error('string -> json conversion needs a string input');
    return JSON.parse(data);
  }
  throw new Error(`unsupported conversion: ${from} -> ${to}`);
}

function requireString(config: Record<string, unknown>, key: string): string {
  const v = config[key];
  if (typeof v !== 'string' || v === '') throw new Error(`"${key}" is required`);
  return v;
}
