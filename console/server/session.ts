// Console login, pure: the token `wfctl up` prints buys a session cookie, and each session carries a
// CSRF token for actions. Sessions are stateless (an HMAC keyed from the login token), so they survive
// a restart of the console and die with a new token; logout revokes one until its expiry.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const sessionCookieName = 'wfctl_console';
export const csrfHeaderName = 'x-csrf-token';
export const sessionTtlMs = 12 * 60 * 60 * 1000;

export interface Session {
  /** The cookie value: v1.<expiresAt ms>.<nonce>.<mac> */
  value: string;
  expiresAt: number;
  nonce: string;
}

export class SessionKeys {
  private readonly key: Buffer;
  private readonly tokenDigest: Buffer;
  private readonly revoked = new Map<string, number>();

  constructor(loginToken: string) {
    if (loginToken.length < 16) throw new Error('the console login token must be at least 16 characters');
    this.key = createHmac('sha256', 'wfctl-console-session-v1').update(loginToken).digest();
    this.tokenDigest = createHash('sha256').update(loginToken).digest();
  }

  /** Constant-time check of a login attempt. */
  checkToken(given: unknown): boolean {
    if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
    return timingSafeEqual(createHash('sha256').update(given).digest(), this.tokenDigest);
  }

  issue(now = Date.now()): Session {
    const expiresAt = now + sessionTtlMs;
    const nonce = randomBytes(18).toString('base64url');
    const payload = `v1.${expiresAt}.${nonce}`;
    return { value: `${payload}.${this.mac(payload)}`, expiresAt, nonce };
  }

  /** The session a cookie value stands for, or undefined when forged, expired or revoked. */
  verify(value: string | undefined, now = Date.now()): Session | undefined {
    if (!value) return undefined;
    const m = /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m) return undefined;
    const payload = `v1.${m[1]}.${m[2]}`;
    if (!safeEqual(this.mac(payload), m[3]!)) return undefined;
    const expiresAt = Number(m[1]);
    if (expiresAt <= now || this.revoked.has(m[2]!)) return undefined;
    return { value, expiresAt, nonce: m[2]! };
  }

  revoke(session: Session, now = Date.now()): void {
    this.revoked.set(session.nonce, session.expiresAt);
    for (const [nonce, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(nonce);
  }

  /** The CSRF token bound to one session: sent in X-CSRF-Token with every action. */
  csrfToken(session: Session): string {
    return this.mac(`csrf.${session.value}`);
  }

  checkCsrf(session: Session, given: unknown): boolean {
    return typeof given === 'string' && safeEqual(this.csrfToken(session), given);
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Set-Cookie for a session: HttpOnly (no script reads it), SameSite=Strict (no cross-site sends). */
export function sessionCookie(session: Session, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((session.expiresAt - Date.now()) / 1000));
  return (
    `${sessionCookieName}=${session.value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}` +
    `${secure ? '; Secure' : ''}`
  );
}

export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The session cookie's value from a Cookie header. */
export function readSessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === sessionCookieName) return part.slice(eq + 1).trim();
  }
  return undefined;
}
