// Value helpers shared by the Go-template and expr evaluators (values are decoded YAML/JSON).

export type PlainMap = Record<string, unknown>;

export function isPlainMap(v: unknown): v is PlainMap {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Go's template truth: false, 0, "", nil and empty collections are false. */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0 && !Number.isNaN(v);
    case 'bigint':
      return v !== 0n;
    case 'string':
      return v.length > 0;
    case 'object':
      if (Array.isArray(v)) return v.length > 0;
      if (isPlainMap(v)) return Object.keys(v).length > 0;
      return true;
    default:
      return true;
  }
}

/** Numeric coercion used by math and collection helpers (numeric strings count, else 0). */
export function toFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return v.trim() === '' || Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

export function isNumeric(v: unknown): v is number {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Loose scalar equality: numbers by value, everything else by identity or deep JSON equality. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

export function compareOrdered(a: unknown, b: unknown, op: string): boolean {
  if (isNumeric(a) && isNumeric(b)) {
    const x = Number(a);
    const y = Number(b);
    return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  throw new Error(`incompatible types for comparison: ${describeType(a)} ${op} ${describeType(b)}`);
}

export function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'list';
  if (isPlainMap(v)) return 'map';
  return typeof v;
}

export function lengthOf(v: unknown): number | undefined {
  if (typeof v === 'string') return [...v].length === v.length ? v.length : Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isPlainMap(v)) return Object.keys(v).length;
  if (Buffer.isBuffer(v)) return v.length;
  return undefined;
}

/** Deep-freeze a static config value so a value shared by every execution cannot be mutated. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}
