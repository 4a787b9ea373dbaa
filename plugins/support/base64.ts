// Lenient base64 decoding, as upstream's Go code tries it: standard or URL-safe alphabet, padded or not.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** The bytes, or undefined when the text is not base64 in any of those forms. */
export function decodeBase64(text: string): Buffer | undefined {
  const s = text.replace(/\s+/g, '');
  if (s.length % 4 === 1) return undefined;
  if (BASE64.test(s)) return Buffer.from(s, 'base64');
  if (BASE64URL.test(s)) return Buffer.from(s, 'base64url');
  return undefined;
}
