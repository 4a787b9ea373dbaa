// Own-property access for every walker over client-supplied JSON (patches, field sets, schemas,
// JSONPath). A key is data, never a way into the prototype chain: `in` and `obj[key]` would see
// inherited members (`constructor`, `toString`, `__proto__`), and `obj['__proto__'] = v` would
// replace an object's prototype, or, through a walk into `Object.prototype`, pollute every object
// in the process. Kubernetes treats `__proto__` as an ordinary key (a valid ConfigMap key), and so
// do these helpers.

/** True when `obj` is a non-array object with `key` as its own property. */
export function hasOwnKey(obj: unknown, key: string): obj is Record<string, unknown> {
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj) && Object.hasOwn(obj, key);
}

/** The value of an own property of `obj`; inherited members read as undefined. */
export function ownValue<T = unknown>(obj: unknown, key: string): T | undefined {
  return hasOwnKey(obj, key) ? (obj[key] as T) : undefined;
}

/** Sets an own, enumerable property: `__proto__` becomes an ordinary key, never a prototype change. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else obj[key] = value;
}
