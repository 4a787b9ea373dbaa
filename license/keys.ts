// Ed25519 license signing keys (node:crypto), in upstream's PEM form: block type
// "ED25519 PUBLIC KEY" holding the raw 32-byte key and "ED25519 PRIVATE KEY" holding Go's 64-byte
// private key (seed followed by public key). Standard SPKI/PKCS#8 PEM ("PUBLIC KEY", "PRIVATE KEY",
// as openssl writes them) is read too.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PUBLIC_BLOCK = 'ED25519 PUBLIC KEY';
const PRIVATE_BLOCK = 'ED25519 PRIVATE KEY';

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export function generateKeyPair(): KeyPair {
  return generateKeyPairSync('ed25519');
}

function rawPublic(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}

function pem(type: string, bytes: Buffer): string {
  const b64 = bytes
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;
}

export function publicKeyPem(key: KeyObject): string {
  return pem(PUBLIC_BLOCK, rawPublic(key.type === 'private' ? createPublicKey(key) : key));
}

export function privateKeyPem(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  return pem(
    PRIVATE_BLOCK,
    Buffer.concat([Buffer.from(jwk.d as string, 'base64url'), Buffer.from(jwk.x as string, 'base64url')]),
  );
}

function pemBlock(text: string): { type: string; bytes: Buffer } | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return undefined;
  return { type: m[1]!, bytes: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') };
}

/** Parses a public key PEM; throws an Error that says what is wrong with it. */
export function parsePublicKey(text: string, where = 'public key'): KeyObject {
  const block = pemBlock(text);
  if (!block) throw new Error(`${where}: no PEM block found (expected "-----BEGIN ${PUBLIC_BLOCK}-----")`);
  if (block.type === PUBLIC_BLOCK) {
    if (block.bytes.length !== 32)
      throw new Error(`${where}: an Ed25519 public key is 32 bytes, this one is ${block.bytes.length}`);
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: block.bytes.toString('base64url') },
      format: 'jwk',
    });
  }
  if (block.type === 'PUBLIC KEY') {
    const key = createPublicKey(text);
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`${where}: a ${key.asymmetricKeyType} key; license keys are Ed25519`);
    return key;
  }
  if (block.type.includes('PRIVATE'))
    throw new Error(`${where}: this is a private key; pass the public key (license.pub)`);
  throw new Error(`${where}: unexpected PEM block "${block.type}" (expected "${PUBLIC_BLOCK}")`);
}

export function parsePrivateKey(text: string, where = 'private key'): KeyObject {
  const block = pemBlock(text);
  if (!block) throw new Error(`${where}: no PEM block found (expected "-----BEGIN ${PRIVATE_BLOCK}-----")`);
  if (block.type === PRIVATE_BLOCK) {
    if (block.bytes.length !== 64)
      throw new Error(
        `${where}: an Ed25519 private key is 64 bytes (seed and public key), this one is ${block.bytes.length}`,
      );
    const d = block.bytes.subarray(0, 32).toString('base64url');
    const x = block.bytes.subarray(32).toString('base64url');
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x }, format: 'jwk' });
    if (!rawPublic(createPublicKey(key)).equals(block.bytes.subarray(32)))
      throw new Error(`${where}: the public half does not match the seed (the file is corrupted)`);
    return key;
  }
  if (block.type === 'PRIVATE KEY') {
    const key = createPrivateKey(text);
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`${where}: a ${key.asymmetricKeyType} key; license keys are Ed25519`);
    return key;
  }
  if (block.type.includes('PUBLIC'))
    throw new Error(`${where}: this is a public key; signing needs the private key (license.key)`);
  throw new Error(`${where}: unexpected PEM block "${block.type}" (expected "${PRIVATE_BLOCK}")`);
}

function readKeyFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `${what} ${path} does not exist` : `cannot read ${what} ${path}: ${(err as Error).message}`,
    );
  }
}

export function readPublicKeyFile(path: string): KeyObject {
  return parsePublicKey(readKeyFile(path, 'public key file'), path);
}

export function readPrivateKeyFile(path: string): KeyObject {
  return parsePrivateKey(readKeyFile(path, 'private key file'), path);
}

/**
 * A short, stable name for a public key: the first 16 hex digits of the SHA-256 of its raw bytes.
 * Tokens carry the signer's, so "signed by another key" is told apart from "tampered with".
 */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(rawPublic(pub)).digest('hex').slice(0, 16);
}

export const privateKeyFileName = 'license.key';
export const publicKeyFileName = 'license.pub';

/** Writes DIR/license.key (mode 0600) and DIR/license.pub; refuses to overwrite a key. */
export function writeKeyPair(dir: string, pair: KeyPair = generateKeyPair()): { keyPath: string; pubPath: string } {
  mkdirSync(dir, { recursive: true });
  const keyPath = join(dir, privateKeyFileName);
  const pubPath = join(dir, publicKeyFileName);
  try {
    writeFileSync(keyPath, privateKeyPem(pair.privateKey), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new Error(`${keyPath} already exists; keygen never overwrites a signing key (pick another --out)`);
    throw err;
  }
  writeFileSync(pubPath, publicKeyPem(pair.publicKey));
  return { keyPath, pubPath };
}
