// Field-level encryption of events, in upstream's format (module/event_field_encryption.go): each
// event gets a random 32-byte data key (DEK); the listed top-level string fields of the payload are
// AES-256-GCM sealed with it (base64); the DEK is sealed with the master key and travels in the
// CloudEvents extensions `encrypteddek` (base64), `encryptedfields` (comma-separated), `keyid` and
// `encryption` ("AES-256-GCM"). The master key is SHA-256 of the value of the environment variable
// that `keyid` names ($VAR or ${VAR}); a literal key is refused, so a key id is never key material.
import { createHash, randomBytes } from 'node:crypto';
import { aesGcmOpen, aesGcmSeal } from './aes-gcm.ts';

export const EVENT_ENCRYPTION_ALGORITHM = 'AES-256-GCM';

export interface EventEncryption {
  encryption: string;
  keyid: string;
  encrypteddek: string;
  encryptedfields: string;
}

export function resolveEventKey(keyId: string, env: Record<string, string | undefined> = process.env): Buffer {
  let variable: string;
  if (keyId.startsWith('${') && keyId.endsWith('}')) variable = keyId.slice(2, -1);
  else if (keyId.startsWith('$')) variable = keyId.slice(1);
  else throw new Error(`key_id "${keyId}" must be an environment variable reference (use $VAR or \${VAR})`);
  const raw = env[variable];
  if (!raw) throw new Error(`encryption key is empty (key_id "${keyId}": environment variable ${variable} is not set)`);
  return createHash('sha256').update(raw, 'utf8').digest();
}

/** Encrypts `fields` of `payload` (a copy) with a fresh DEK; the extensions to put on the envelope. */
export function encryptEventFields(
  payload: Record<string, unknown>,
  fields: readonly string[],
  keyId: string,
  env?: Record<string, string | undefined>,
): { data: Record<string, unknown>; extensions: EventEncryption } {
  const masterKey = resolveEventKey(keyId, env);
  const dek = randomBytes(32);
  const data = { ...payload };
  const encrypted: string[] = [];
  for (const field of fields) {
    const value = data[field];
    if (typeof value !== 'string') continue;
    data[field] = aesGcmSeal(dek, Buffer.from(value, 'utf8')).toString('base64');
    encrypted.push(field);
  }
  return {
    data,
    extensions: {
      encryption: EVENT_ENCRYPTION_ALGORITHM,
      keyid: keyId,
      encrypteddek: aesGcmSeal(masterKey, dek).toString('base64'),
      encryptedfields: encrypted.join(','),
    },
  };
}

/** A copy of `payload` with the listed fields decrypted (fields absent or not strings are left as they are). */
export function decryptEventFields(
  payload: Record<string, unknown>,
  encryptedDek: string,
  encryptedFields: string,
  keyId: string,
  env?: Record<string, string | undefined>,
): Record<string, unknown> {
  const masterKey = resolveEventKey(keyId, env);
  let dek: Buffer;
  try {
    dek = aesGcmOpen(masterKey, Buffer.from(encryptedDek, 'base64'));
  } catch (err) {
    throw new Error(`failed to unwrap the data key (encrypteddek) with key_id "${keyId}": ${(err as Error).message}`);
  }
  const out = { ...payload };
  for (const raw of encryptedFields.split(',')) {
    const field = raw.trim();
    const value = out[field];
    if (field === '' || typeof value !== 'string') continue;
    try {
      out[field] = aesGcmOpen(dek, Buffer.from(value, 'base64')).toString('utf8');
    } catch (err) {
      throw new Error(`failed to decrypt field "${field}": ${(err as Error).message}`);
    }
  }
  return out;
}
