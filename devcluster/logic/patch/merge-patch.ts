// RFC 7386 JSON Merge Patch: objects merge recursively, null deletes, anything else replaces.
import { ownValue, setOwn } from '../../../security/index.ts';
import { isObject } from '../schema.ts';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, applyMergePatch(ownValue(result, key), value));
  }
  return result;
}
