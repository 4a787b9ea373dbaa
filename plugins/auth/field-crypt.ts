// Field protection's value format and keys, as upstream's pkg/fieldcrypt: a protected string field
// is stored as "epf:v<version>:<base64(AES-256-GCM nonce||ciphertext||tag)>". Keys are per tenant
// and version, derived from the master key with HKDF-SHA256 (no salt, info
// "fieldcrypt:<tenant>:v<version>"), so any version can be re-derived to read old data. The legacy
// "enc::<base64>" format (upstream's first FieldEncryptor) used SHA-256(master key) and is read only.
import { createHash, hkdfSync } from 'node:crypto';
import { aesGcmOpen, aesGcmSeal } from '../support/index.ts';

export const ENCRYPTED_PREFIX = 'epf:';
const LEGACY_PREFIX = 'enc::';

export function isEncrypted(value: string): boolean {
  return value.startsWith(ENCRYPTED_PREFIX) || value.startsWith(LEGACY_PREFIX);
}

export function encryptValue(plaintext: string, key: Uint8Array, version: number): string {
  return `${ENCRYPTED_PREFIX}v${version}:${aesGcmSeal(key, Buffer.from(plaintext, 'utf8')).toString('base64')}`;
}

/** `keyFor(0)` must give the raw master key (legacy values); other versions the derived key. */
export function decryptValue(value: string, keyFor: (version: number) => Uint8Array): string {
  if (value.startsWith(LEGACY_PREFIX)) {
    const key = createHash('sha256').update(keyFor(0)).digest();
    return aesGcmOpen(key, Buffer.from(value.slice(LEGACY_PREFIX.length), 'base64')).toString('utf8');
  }
  const m = /^epf:v(\d+):(.*)$/s.exec(value);
  if (!m) throw new Error('not an encrypted value (expected "epf:v<version>:<base64>")');
  return aesGcmOpen(keyFor(Number(m[1])), Buffer.from(m[2]!, 'base64')).toString('utf8');
}

/** Versioned per-tenant keys derived from one master key; rotation moves a tenant to the next version. */
export class LocalKeyRing {
  private readonly current = new Map<string, number>();
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly masterKey: Uint8Array) {}

  currentKey(tenant: string): { key: Buffer; version: number } {
    const version = this.current.get(tenant) ?? 1;
    this.current.set(tenant, version);
    return { key: this.keyByVersion(tenant, version), version };
  }

  keyByVersion(tenant: string, version: number): Buffer {
    const id = `${tenant}:${version}`;
    let key = this.keys.get(id);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.masterKey, Buffer.alloc(0), `fieldcrypt:${tenant}:v${version}`, 32));
      this.keys.set(id, key);
    }
    return key;
  }

  rotate(tenant: string): { key: Buffer; version: number } {
    const version = (this.current.get(tenant) ?? 0) + 1;
    this.current.set(tenant, version);
    return { key: this.keyByVersion(tenant, version), version };
  }
}

type Visit = (data: Record<string, unknown>, key: string, value: string) => void;

export interface ScanOptions {
  maxDepth: number;
  /** Also walk maps inside lists. */
  arrays: boolean;
}

/** Walks nested maps down to `maxDepth` levels, calling `visit` on each string value. */
export function scanStrings(data: Record<string, unknown>, opts: ScanOptions, visit: Visit, depth = 0): void {
  if (depth >= opts.maxDepth) return;
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'string') visit(data, key, value);
    else if (Array.isArray(value)) {
      if (opts.arrays) for (const item of value) if (isMap(item)) scanStrings(item, opts, visit, depth + 1);
    } else if (isMap(value)) scanStrings(value, opts, visit, depth + 1);
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
