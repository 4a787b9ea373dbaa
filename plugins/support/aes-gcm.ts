// AES-256-GCM in upstream's byte layout (Go's cipher.AEAD Seal with the nonce as prefix):
// nonce (12 bytes) || ciphertext || tag (16 bytes). Field protection and event field encryption
// both store values this way, so data written by upstream's engine decrypts here and back.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function aesGcmSeal(key: Uint8Array, plaintext: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(aesName(key), key, nonce);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Throws "decryption failed" for a wrong key or tampered data (the tag does not verify). */
export function aesGcmOpen(key: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
  const data = Buffer.from(sealed);
  const decipher = createDecipheriv(aesName(key), key, data.subarray(0, NONCE_BYTES));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error('AES-GCM decryption failed (wrong key or tampered data)');
  }
}

function aesName(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new Error(`invalid AES key size ${key.length} (16, 24 or 32 bytes)`);
}
