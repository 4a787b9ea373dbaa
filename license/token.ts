// wflic.v1 tokens (UPSTREAM.md 7.4): `wflic.v1.<base64url(JSON claims)>.<base64url(Ed25519 sig)>`,
// the signature over the ASCII text `wflic.v1.<payload>`, base64url without padding. Signed and
// verified with node:crypto; a token upstream's Go code signs verifies here and the other way round.
//
// verifyToken is the offline check every validator starts with. Each way a token can be bad has
// its own code and message: malformed, signed by another key, tampered with, expired, not yet valid.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { fromPayload, isoSeconds, toPayload, type LicenseClaims } from './claims.ts';
import { keyId } from './keys.ts';

export const tokenPrefix = 'wflic.v1.';

/** Clock skew tolerated for "not yet valid" (issuer and verifier clocks differ a little). */
const skewSeconds = 300;

export type TokenProblem = 'malformed' | 'wrong-key' | 'tampered' | 'expired' | 'not-yet-valid';

export class LicenseTokenError extends Error {
  constructor(
    readonly problem: TokenProblem,
    message: string,
    readonly claims?: LicenseClaims,
  ) {
    super(message);
    this.name = 'LicenseTokenError';
  }
}

export interface ParsedToken {
  claims: LicenseClaims;
  /** `wflic.v1.<payload>`: the signed text. */
  signed: string;
  signature: Buffer;
}

export function looksLikeToken(key: string): boolean {
  return key.startsWith('wflic.');
}

const base64url = /^[A-Za-z0-9_-]*$/;

/** Splits and decodes a token without checking its signature (`wfctl license inspect`). */
export function parseToken(token: string): ParsedToken {
  const text = token.trim();
  const parts = text.split('.');
  const malformed = (why: string) =>
    new LicenseTokenError('malformed', `license token is malformed: ${why} (expected wflic.v1.<payload>.<signature>)`);
  if (parts.length !== 4) throw malformed(`${parts.length} dot-separated parts instead of 4`);
  if (parts[0] !== 'wflic') throw malformed(`prefix "${parts[0]!.slice(0, 20)}" is not "wflic"`);
  if (parts[1] !== 'v1') throw malformed(`version "${parts[1]!.slice(0, 20)}" is not supported (only v1)`);
  const [, , payload, sig] = parts as [string, string, string, string];
  if (!base64url.test(payload) || !payload) throw malformed('the payload is not base64url');
  if (!base64url.test(sig) || !sig) throw malformed('the signature is not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw malformed('the payload is not JSON');
  }
  let claims: LicenseClaims;
  try {
    claims = fromPayload(json);
  } catch (err) {
    throw malformed((err as Error).message);
  }
  const signature = Buffer.from(sig, 'base64url');
  if (signature.length !== 64) throw malformed(`the signature is ${signature.length} bytes, an Ed25519 one is 64`);
  return { claims, signed: `${tokenPrefix}${payload}`, signature };
}

export function signToken(claims: LicenseClaims, privateKey: KeyObject): string {
  const withKey = { ...claims, keyId: claims.keyId ?? keyId(createPublicKey(privateKey)) };
  const payload = Buffer.from(JSON.stringify(toPayload(withKey))).toString('base64url');
  const signed = `${tokenPrefix}${payload}`;
  return `${signed}.${sign(null, Buffer.from(signed), privateKey).toString('base64url')}`;
}

function ago(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'}`;
  const hours = Math.floor(seconds / 3600);
  if (hours >= 1) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.max(1, Math.floor(seconds / 60))} minute${seconds < 120 ? '' : 's'}`;
}

/** Signature, then validity window. Returns the claims or throws LicenseTokenError. */
export function verifyToken(token: string, publicKey: KeyObject, nowMs = Date.now()): LicenseClaims {
  return checkValidityWindow(verifySignature(token, publicKey), nowMs);
}

/** The signature alone: the claims, whatever the date. Throws LicenseTokenError. */
export function verifySignature(token: string, publicKey: KeyObject): LicenseClaims {
  const parsed = parseToken(token);
  const { claims } = parsed;
  if (!verify(null, Buffer.from(parsed.signed), publicKey, parsed.signature)) {
    const ours = keyId(publicKey);
    if (claims.keyId && claims.keyId !== ours)
      throw new LicenseTokenError(
        'wrong-key',
        `license ${claims.licenseId} was signed by another key (key id ${claims.keyId}; this public key is ` +
          `${ours}): verify it with the issuer's license.pub`,
        claims,
      );
    throw new LicenseTokenError(
      'tampered',
      `license token signature is invalid: the token was altered after ` +
        `signing${claims.keyId ? '' : ', or signed by another key'}`,
      claims,
    );
  }
  return claims;
}

/** The time checks alone, for claims whose signature is already known good. */
export function checkValidityWindow(claims: LicenseClaims, nowMs: number): LicenseClaims {
  const now = Math.floor(nowMs / 1000);
  if (now > claims.expiresAt)
    throw new LicenseTokenError(
      'expired',
      `license ${claims.licenseId} expired at ${isoSeconds(claims.expiresAt)} (${ago(now - claims.expiresAt)} ago)`,
      claims,
    );
  const start = claims.notBefore ?? claims.issuedAt;
  if (start > now + skewSeconds)
    throw new LicenseTokenError(
      'not-yet-valid',
      `license ${claims.licenseId} is not valid until ${isoSeconds(start)} (in ${ago(start - now)})`,
      claims,
    );
  return claims;
}
