// Content hashes that decide when pods roll and when an apply can be skipped. Canonical JSON (keys
// sorted) so the same object always hashes the same, whatever order it was built in.
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Short hash for names and annotations (like pod-template-hash): 10 hex chars, 40 bits. */
export function shortHash(value: unknown): string {
  return sha256Hex(typeof value === 'string' ? value : canonicalJson(value)).slice(0, 10);
}
