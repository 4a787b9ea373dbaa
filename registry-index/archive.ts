// Reading plugin archives (.tar.gz) without trusting them. The validator uses this to refuse archives
// whose entries would escape the install directory, and the client uses the same reader to extract,
// so what was checked is what gets written. Only what plugin archives need: ustar, pax path records,
// GNU long names; regular files and directories.
import { gunzipSync, gzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  /** 'file' | 'directory' | anything else (symlink, hardlink, device...) as found. */
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  data: Buffer;
}

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** Decompressed archives larger than this are refused rather than inflated into memory. */
export const maxUnpackedArchiveBytes = 512 * 1024 * 1024;

export function readTarGz(bytes: Uint8Array, maxUnpacked = maxUnpackedArchiveBytes): TarEntry[] {
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes, { maxOutputLength: maxUnpacked });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new ArchiveError(`archive unpacks to more than ${maxUnpacked} bytes`);
    throw new ArchiveError(`archive is not valid gzip data (${(err as Error).message})`);
  }
  return readTar(tar);
}

function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    if (!checksumMatches(header)) throw new ArchiveError(`corrupt tar header at byte ${offset}`);
    const size = readSize(header.subarray(124, 136));
    const typeflag = String.fromCharCode(header[156] || 48);
    const dataStart = offset + 512;
    if (dataStart + size > tar.length) throw new ArchiveError(`tar entry at byte ${offset} is truncated`);
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / 512) * 512;

    if (typeflag === 'L') {
      longName = cString(data);
      continue;
    }
    if (typeflag === 'x') {
      paxPath = parsePax(data).path ?? paxPath;
      continue;
    }
    if (typeflag === 'g') continue;
    const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar')
      ? cString(header.subarray(345, 500))
      : '';
    const name = cString(header.subarray(0, 100));
    const path = paxPath ?? longName ?? (prefix ? `${prefix}/${name}` : name);
    longName = paxPath = undefined;
    entries.push({
      path,
      type: entryType(typeflag),
      mode: parseInt(cString(header.subarray(100, 108)) || '0', 8) || 0,
      data,
    });
  }
  return entries;
}

/** Why an entry must not be extracted, or undefined when it is an ordinary file or directory inside the root. */
export function unsafeEntryReason(entry: Pick<TarEntry, 'path' | 'type'>): string | undefined {
  if (entry.type !== 'file' && entry.type !== 'directory')
    return `is a ${entry.type}; plugin archives may contain only files and directories`;
  const p = entry.path;
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.includes('\\')) return 'has an absolute or non-portable path';
  if (p.split('/').some((s) => s === '..')) return 'climbs out of the archive with ".."';
  if (/[\u0000-\u001f]/.test(p)) return 'has control characters in its name';
  return undefined;
}

function entryType(flag: string): TarEntry['type'] {
  if (flag === '0' || flag === '\0' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

function readSize(field: Buffer): number {
  // GNU base-256 encoding for sizes over 8 GiB: high bit set on the first byte.
  if (field[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(field).trim();
  const n = text === '' ? 0 : parseInt(text, 8);
  if (!Number.isFinite(n) || n < 0) throw new ArchiveError(`bad size field "${text}" in tar header`);
  return n;
}

function checksumMatches(header: Buffer): boolean {
  const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum === stored;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const text = data.toString('utf8');
  while (i < text.length) {
    const space = text.indexOf(' ', i);
    if (space === -1) break;
    const len = parseInt(text.slice(i, space), 10);
    if (!(len > 0)) break;
    const record = text.slice(space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Build a .tar.gz from files in memory (tests, plugin packaging). Deterministic: mtime 0, uid/gid 0. */
export function writeTarGz(
  files: Array<{
    path: string;
    data: string | Buffer;
    mode?: number;
    type?: 'file' | 'symlink' | 'directory';
    linkTarget?: string;
  }>,
): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const data = f.type === 'file' || f.type === undefined ? Buffer.from(f.data) : Buffer.alloc(0);
    const h = Buffer.alloc(512);
    if (Buffer.byteLength(f.path) > 100) throw new Error(`writeTarGz: path too long: ${f.path}`);
    h.write(f.path, 0, 100, 'utf8');
    h.write(`${(f.mode ?? (f.type === 'directory' ? 0o755 : 0o644)).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write(f.type === 'symlink' ? '2' : f.type === 'directory' ? '5' : '0', 156, 'latin1');
    if (f.linkTarget) h.write(f.linkTarget, 157, 100, 'utf8');
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
    h.fill(32, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
