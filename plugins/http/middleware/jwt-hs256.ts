// Minimal HS256 JWT verification for http.middleware.auth's `secretKey` mode (no auth provider
// module in the app). Checks signature, `exp` and `nbf`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyHs256(
  token: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed token' };
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: string };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if (header.alg !== 'HS256') return { ok: false, reason: `unsupported algorithm ${String(header.alg)}` };
  const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const actual = Buffer.from(s, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    return { ok: false, reason: 'invalid signature' };
  if (typeof claims.exp === 'number' && nowSeconds >= claims.exp) return { ok: false, reason: 'token expired' };
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) return { ok: false, reason: 'token not yet valid' };
  return { ok: true, claims };
}
