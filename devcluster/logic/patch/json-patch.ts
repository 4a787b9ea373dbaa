// RFC 6902 JSON Patch, applied to a copy. Failures throw PatchError (the server answers 422).
// Pointers walk own properties only (security/own-properties.ts): `/__proto__/x` is a path like any other.
import { hasOwnKey, setOwn } from '../../../security/index.ts';
import { deepEqual } from '../schema.ts';

export class PatchError extends Error {}

type Op = { op: string; path: string; value?: unknown; from?: string };

export function applyJsonPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = structuredClone(document);
  operations.forEach((raw, i) => {
    if (typeof raw !== 'object' || raw === null) throw new PatchError(`operation ${i} is not an object`);
    const op = raw as Op;
    if (typeof op.path !== 'string') throw new PatchError(`operation ${i} (${op.op}) is missing "path"`);
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, structuredClone(requireValue(op, i)));
        break;
      case 'remove':
        doc = remove(doc, op.path);
        break;
      case 'replace':
        doc = add(remove(doc, op.path), op.path, structuredClone(requireValue(op, i)));
        break;
      case 'move': {
        const value = get(doc, fromOf(op, i));
        doc = add(remove(doc, fromOf(op, i)), op.path, value);
        break;
      }
      case 'copy':
        doc = add(doc, op.path, structuredClone(get(doc, fromOf(op, i))));
        break;
      case 'test': {
        const actual = get(doc, op.path);
        if (!deepEqual(actual, op.value))
          throw new PatchError(
            `testing value ${op.path} failed: expected ${JSON.stringify(op.value)}, found ${JSON.stringify(actual)}`,
          );
        break;
      }
      default:
        throw new PatchError(
          `operation ${i} has unknown op "${String(op.op)}"; use add, remove, replace, move, copy or test`,
        );
    }
  });
  return doc;
}

function requireValue(op: Op, i: number): unknown {
  if (!Object.hasOwn(op, 'value')) throw new PatchError(`operation ${i} (${op.op} ${op.path}) is missing "value"`);
  return op.value;
}

function fromOf(op: Op, i: number): string {
  if (typeof op.from !== 'string') throw new PatchError(`operation ${i} (${op.op}) is missing "from"`);
  return op.from;
}

function parse(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const part of parse(pointer)) {
    if (Array.isArray(v)) v = v[index(part, v.length, pointer)];
    else if (hasOwnKey(v, part)) v = v[part];
    else throw new PatchError(`doc is missing path: "${pointer}"`);
  }
  return v;
}

function index(part: string, length: number, pointer: string, allowEnd = false): number {
  if (!/^(0|[1-9]\d*)$/.test(part)) throw new PatchError(`invalid array index "${part}" in "${pointer}"`);
  const i = Number(part);
  if (i > length || (!allowEnd && i === length)) throw new PatchError(`array index ${i} out of bounds in "${pointer}"`);
  return i;
}

function parentOf(doc: unknown, pointer: string): { parent: unknown; key: string } {
  const parts = parse(pointer);
  if (parts.length === 0) return { parent: undefined, key: '' };
  const key = parts.pop()!;
  const escaped = parts.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
  return { parent: get(doc, escaped), key };
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') return value;
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) {
    if (key === '-') parent.push(value);
    else parent.splice(index(key, parent.length, pointer, true), 0, value);
  } else if (parent !== null && typeof parent === 'object') setOwn(parent as Record<string, unknown>, key, value);
  else throw new PatchError(`doc is missing path: "${pointer}"`);
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  if (pointer === '') return null;
  const { parent, key } = parentOf(doc, pointer);
  if (Array.isArray(parent)) parent.splice(index(key, parent.length, pointer), 1);
  else if (hasOwnKey(parent, key)) delete parent[key];
  else throw new PatchError(`unable to remove nonexistent key: ${key}: missing value at "${pointer}"`);
  return doc;
}
