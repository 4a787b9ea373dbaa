// Publisher signatures: Ed25519 (node:crypto) over one plugin archive's identity.
//
//   payload = "wfctl-plugin-signature-v1\n<manifest name>\n<version>\n<sha256 hex>\n"
//
// Signing the sha256 rather than the bytes means the registry checks (pre-receive, PR check, sync)
// can verify a signature from the manifest alone, and the installer verifies it after checking the
// downloaded bytes against the same sha256: bytes -> sha256 -> signature -> trusted key. The name and
// version are in the payload so a signed archive cannot be replayed as another plugin or version.
//
// A key id is the first 16 hex digits of the sha256 of the raw 32-byte public key: derived, so a key
// file cannot claim another key's id. Trusted keys live in the registry repository as
// keys/<keyId>.json (trusted-keys.ts), added through the same reviewed path as manifests.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

export const signatureVersion = 'wfctl-plugin-signature-v1';

export interface SignedArchive {
  name: string;
  version: string;
  sha256: string;
}

export interface ArchiveSignature {
  keyId: string;
  /** base64 */
  sig: string;
}

export function signaturePayload(a: SignedArchive): Buffer {
  return Buffer.from(`${signatureVersion}\n${a.name}\n${a.version}\n${a.sha256}\n`, 'utf8');
}

/** The raw 32-byte Ed25519 public key, base64: the form key files and `wfctl keys` print. */
export function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' }) as { x?: string };
  if (!jwk.x) throw new Error('not an Ed25519 public key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

export function keyIdOf(publicKeyBase64: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex').slice(0, 16);
}

export function publicKeyFromRaw(publicKeyBase64: string): KeyObject {
  const raw = Buffer.from(publicKeyBase64, 'base64');
  if (raw.length !== 32) throw new Error(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export interface GeneratedKey {
  keyId: string;
  /** PKCS#8 PEM: keep it secret (wfctl keys generate writes it with mode 0600). */
  privateKeyPem: string;
  publicKey: string;
}

export function generateSigningKey(): GeneratedKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return {
    keyId: keyIdOf(raw),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: raw,
  };
}

export interface SigningKey {
  keyId: string;
  publicKey: string;
  privateKey: KeyObject;
}

/** A private key from its PKCS#8 PEM; throws a clear error for anything else. */
export function loadSigningKey(pem: string, where: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${where} is not a PEM private key (${(err as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `${where} is a ${privateKey.asymmetricKeyType} key; publisher keys are Ed25519 (wfctl keys generate)`,
    );
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { keyId: keyIdOf(publicKey), publicKey, privateKey };
}

export function signArchive(key: SigningKey, archive: SignedArchive): ArchiveSignature {
  return { keyId: key.keyId, sig: sign(null, signaturePayload(archive), key.privateKey).toString('base64') };
}

export function verifyArchiveSignature(publicKeyBase64: string, archive: SignedArchive, sig: string): boolean {
  try {
    return verify(null, signaturePayload(archive), publicKeyFromRaw(publicKeyBase64), Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}
