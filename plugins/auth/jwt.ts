// HS256 JSON Web Tokens with node:crypto (RFC 7519 / 7515 compact form). Only HS256 is accepted on
// verify, so a token cannot downgrade itself to "none" or switch algorithms.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Record<string, unknown> & {
  sub?: string;
  iss?: string;
  iat?: number;
  exp?: number;
  nbf?: number;
  jti?: string;
};

export type VerifyResult = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

export function signHs256(claims: JwtClaims, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  return `${header}.${payload}.${hmac(`${header}.${payload}`, secret)}`;
}

export function verifyHs256(
  token: string,
  secret: string,
  opts: { nowSeconds?: number; issuer?: string } = {},
): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed token' };
  const [h, p, sig] = parts;
  let header: { alg?: string };
  let claims: JwtClaims;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if (header.alg !== 'HS256') return { ok: false, reason: `unexpected signing algorithm ${String(header.alg)}` };
  const expected = Buffer.from(hmac(`${h}.${p}`, secret));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    return { ok: false, reason: 'invalid signature' };
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims))
    return { ok: false, reason: 'malformed claims' };
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (typeof claims.exp === 'number' && now >= claims.exp) return { ok: false, reason: 'token expired' };
  if (typeof claims.nbf === 'number' && now < claims.nbf) return { ok: false, reason: 'token not yet valid' };
  if (opts.issuer && claims.iss !== opts.issuer) return { ok: false, reason: 'token from another issuer' };
  return { ok: true, claims };
}

function hmac(data: string, secret: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
