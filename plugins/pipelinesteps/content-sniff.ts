// The MIME type of a byte string by its first bytes, as Go's http.DetectContentType answers for the
// formats upstream's step.base64_decode deals with (images, PDF, archives, media, text). Hand-written:
// the npm sniffers answer differently for text (they have no text/plain, text/html), and the point is
// to accept and refuse exactly what upstream does.

const SIGNATURES: Array<[string, number[], number?]> = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
  ['image/bmp', [0x42, 0x4d]],
  ['image/x-icon', [0x00, 0x00, 0x01, 0x00]],
  ['application/pdf', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['application/zip', [0x50, 0x4b, 0x03, 0x04]],
  ['application/x-gzip', [0x1f, 0x8b, 0x08]],
  ['application/ogg', [0x4f, 0x67, 0x67, 0x53, 0x00]],
  ['audio/mpeg', [0x49, 0x44, 0x33]],
  ['application/wasm', [0x00, 0x61, 0x73, 0x6d]],
];

function startsWith(data: Uint8Array, sig: number[], offset = 0): boolean {
  if (data.length < offset + sig.length) return false;
  return sig.every((b, i) => data[offset + i] === b);
}

const ascii = (data: Uint8Array, from: number, to: number) => String.fromCharCode(...data.subarray(from, to));

export function sniffContentType(data: Uint8Array): string {
  for (const [type, sig] of SIGNATURES) if (startsWith(data, sig)) return type;
  if (ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WEBP') return 'image/webp';
  if (ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WAVE') return 'audio/wave';
  if (ascii(data, 4, 8) === 'ftyp') return 'video/mp4';
  if (startsWith(data, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  if (ascii(data, 257, 262) === 'ustar') return 'application/x-tar';
  const head = ascii(data, 0, Math.min(data.length, 512)).trimStart().toLowerCase();
  if (/^<(!doctype html|html|head|body|script|div|p|h1|table|title)[\s>]/.test(head)) return 'text/html';
  if (head.startsWith('<?xml')) return 'text/xml';
  if (head.startsWith('<svg')) return 'image/svg+xml';
  // no binary bytes in the first 512 (Go's rule): text
  for (const b of data.subarray(0, 512))
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f))
      return 'application/octet-stream';
  return 'text/plain';
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/bmp': '.bmp',
  'image/tiff': '.tiff',
  'image/svg+xml': '.svg',
  'image/x-icon': '.ico',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'text/plain': '.txt',
  'text/html': '.html',
  'text/css': '.css',
  'text/javascript': '.js',
  'text/xml': '.xml',
  'application/json': '.json',
  'application/xml': '.xml',
  'audio/mpeg': '.mp3',
  'audio/ogg': '.ogg',
  'audio/wav': '.wav',
  'audio/wave': '.wav',
  'video/mp4': '.mp4',
  'video/webm': '.webm',
  'video/ogg': '.ogv',
  'application/ogg': '.ogx',
  'application/octet-stream': '.bin',
  'application/gzip': '.gz',
  'application/x-gzip': '.gz',
  'application/x-tar': '.tar',
  'application/wasm': '.wasm',
};

/** The usual file extension of a MIME type, `.bin` when unknown. */
export function extensionFor(mime: string): string {
  return EXTENSIONS[mime.toLowerCase()] ?? '.bin';
}
