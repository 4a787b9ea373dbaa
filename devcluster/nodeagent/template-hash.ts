// pod-template-hash: an FNV-1a hash of the pod template (plus the collision count), encoded with the
// apiserver's "safe" alphabet — the label value and ReplicaSet name suffix a Deployment's pods carry.

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function podTemplateHash(template: unknown, collisionCount = 0): string {
  let hash = 0x811c9dc5;
  const text = canonical(template) + (collisionCount ? String(collisionCount) : '');
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return [...String(hash)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** The template without the labels and fields the controllers add, for comparing revisions. */
export function templateForHash(template: Record<string, unknown>): unknown {
  const copy = structuredClone(template) as { metadata?: { labels?: Record<string, string> } };
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  return copy;
}
