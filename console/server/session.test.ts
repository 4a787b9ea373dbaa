import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SessionKeys,
  clearedSessionCookie,
  readSessionCookie,
  sessionCookie,
  sessionCookieName,
  sessionTtlMs,
} from './session.ts';

const token = 'a-console-token-of-some-length';

test('the login token is checked exactly; anything else is refused', () => {
  const keys = new SessionKeys(token);
  assert.equal(keys.checkToken(token), true);
  for (const wrong of [`${token} `, token.slice(1), '', undefined, 42, { token }, 'x'.repeat(5000)])
    assert.equal(keys.checkToken(wrong), false, String(wrong));
  assert.throws(() => new SessionKeys('short'), /at least 16 characters/);
});

test('a session verifies until it expires, and not after a logout', () => {
  const keys = new SessionKeys(token);
  const now = 1_000_000;
  const s = keys.issue(now);
  assert.equal(keys.verify(s.value, now + 1000)?.nonce, s.nonce);
  assert.equal(keys.verify(s.value, now + sessionTtlMs), undefined, 'expired');
  keys.revoke(s, now);
  assert.equal(keys.verify(s.value, now + 1000), undefined, 'revoked');
});

test('forged, tampered and foreign sessions are refused', () => {
  const keys = new SessionKeys(token);
  const s = keys.issue();
  const [v, expires, nonce, mac] = s.value.split('.');
  const later = `${v}.${Number(expires) + 1e9}.${nonce}.${mac}`;
  assert.equal(keys.verify(later), undefined, 'extended expiry');
  assert.equal(keys.verify(`${v}.${expires}.${nonce}.${'A'.repeat(43)}`), undefined, 'wrong mac');
  assert.equal(keys.verify('garbage'), undefined);
  assert.equal(keys.verify(undefined), undefined);
  const other = new SessionKeys('another-console-token-entirely');
  assert.equal(other.verify(s.value), undefined, 'a new token ends old sessions');
});

test('the CSRF token belongs to one session', () => {
  const keys = new SessionKeys(token);
  const a = keys.issue();
  const b = keys.issue();
  assert.equal(keys.checkCsrf(a, keys.csrfToken(a)), true);
  assert.equal(keys.checkCsrf(a, keys.csrfToken(b)), false);
  assert.equal(keys.checkCsrf(a, undefined), false);
  assert.equal(keys.checkCsrf(a, ''), false);
});

test('the cookie is HttpOnly and SameSite=Strict, and reads back from a Cookie header', () => {
  const keys = new SessionKeys(token);
  const s = keys.issue();
  const header = sessionCookie(s, false);
  assert.match(header, new RegExp(`^${sessionCookieName}=${s.value.replace(/\./g, '\\.')}; `));
  assert.match(header, /; HttpOnly/);
  assert.match(header, /; SameSite=Strict/);
  assert.match(header, /; Path=\//);
  assert.doesNotMatch(header, /Secure/);
  assert.match(sessionCookie(s, true), /; Secure$/);
  assert.match(clearedSessionCookie(false), /Max-Age=0/);
  assert.equal(readSessionCookie(`theme=dark; ${sessionCookieName}=${s.value}; other=1`), s.value);
  assert.equal(readSessionCookie('theme=dark'), undefined);
  assert.equal(readSessionCookie(undefined), undefined);
});
