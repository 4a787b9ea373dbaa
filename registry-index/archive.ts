// Plugin archives (.tar.gz) read without trusting them, with node-tar's parser (ustar, pax and GNU
// headers, gzip). The registry's validator refuses archives whose entries would escape the install
// directory; `extractTarGz` writes an archive only after every entry passed the same checks, so what
// was checked is what gets written. Plugins contain regular files and directories only: links,
// devices and absolute or climbing paths refuse the whole archive; sizes and entry counts are capped.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, Parser, type ReadEntry } from 'tar';

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
/** Archives with more entries than this are refused. */
export const maxArchiveEntries = 20_000;

export interface ArchiveLimits {
  maxUnpackedBytes?: number;
  maxEntries?: number;
}

/** Every entry of a .tar.gz (or plain .tar), data in memory; ArchiveError when it is corrupt or over a limit. */
export function readTarGz(bytes: Uint8Array, limits: ArchiveLimits = {}): TarEntry[] {
  const { maxUnpackedBytes = maxUnpackedArchiveBytes, maxEntries = maxArchiveEntries } = limits;
  const entries: TarEntry[] = [];
  let unpacked = 0;
  let failure: ArchiveError | undefined;
  const fail = (message: string) => {
    failure ??= new ArchiveError(message);
    parser.abort(failure);
  };
  const parser = new Parser({
    strict: true,
    onwarn: (_code, message) => fail(`archive is not a valid tar.gz: ${message}`),
    onReadEntry: (entry: ReadEntry) => {
      unpacked += entry.size ?? 0;
      if (unpacked > maxUnpackedBytes) return fail(`archive unpacks to more than ${maxUnpackedBytes} bytes`);
      if (entries.length >= maxEntries) return fail(`archive has more than ${maxEntries} entries`);
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () =>
        entries.push({
          path: entry.path,
          type: entryType(entry.type),
          mode: entry.mode ?? 0,
          data: Buffer.concat(chunks),
        }),
      );
    },
  });
  parser.on('error', (err: Error) => fail(`archive is not a valid tar.gz: ${err.message}`));
  // node-tar parses a whole buffer synchronously (its gunzip is zlib's synchronous binding)
  parser.end(Buffer.from(bytes));
  if (failure) throw failure;
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

/** The first reason an archive must not be installed (unreadable, over a limit, an unsafe entry), or undefined. */
export function unsafeArchiveReason(bytes: Uint8Array, limits: ArchiveLimits = {}): string | undefined {
  let entries: TarEntry[];
  try {
    entries = readTarGz(bytes, limits);
  } catch (err) {
    if (err instanceof ArchiveError) return `is not a readable .tar.gz archive: ${err.message}`;
    throw err;
  }
  for (const entry of entries) {
    const reason = unsafeEntryReason(entry);
    if (reason) return `has an entry "${entry.path}" that ${reason}`;
  }
  return undefined;
}

/**
 * Extracts an archive into `dest`, which must be missing or empty. Nothing is written unless every
 * entry is safe (unsafeEntryReason) and within the limits; files get mode 0644 or 0755 (executable),
 * never setuid or world-writable. Returns the paths written.
 */
export function extractTarGz(bytes: Uint8Array, dest: string, limits: ArchiveLimits = {}): string[] {
  const entries = readTarGz(bytes, limits);
  for (const e of entries) {
    const why = unsafeEntryReason(e);
    if (why) throw new ArchiveError(`archive entry "${e.path}" ${why}`);
  }
  const root = resolve(dest);
  mkdirSync(root, { recursive: true });
  if (readdirSync(root).length > 0) throw new ArchiveError(`${dest} is not empty; extract into a new directory`);
  const written: string[] = [];
  for (const e of entries) {
    const target = resolve(root, e.path);
    const rel = relative(root, target);
    if (rel === '') continue; // "./"
    if (rel.startsWith(`..${sep}`) || rel === '..') throw new ArchiveError(`archive entry "${e.path}" leaves ${dest}`);
    if (e.type === 'directory') {
      mkdirSync(target, { recursive: true, mode: 0o755 });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    try {
      // 'wx': a second entry for the same path is refused, never silently overwrites the first
      writeFileSync(target, e.data, { flag: 'wx', mode: e.mode & 0o111 ? 0o755 : 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new ArchiveError(`archive has "${e.path}" more than once`);
      throw err;
    }
    written.push(rel.split(sep).join('/'));
  }
  return written;
}

function entryType(type: string): TarEntry['type'] {
  if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile') return 'file';
  if (type === 'Directory') return 'directory';
  if (type === 'SymbolicLink') return 'symlink';
  if (type === 'Link') return 'hardlink';
  return 'other';
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
    if (Buffer.byteLength(f.path) > 100) throw new Error(`writeTarGz: path too long: ${f.path}`);
    const header = new Header({
      path: f.path,
      mode: f.mode ?? (f.type === 'directory' ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      size: data.length,
      mtime: new Date(0),
      type: f.type === 'symlink' ? 'SymbolicLink' : f.type === 'directory' ? 'Directory' : 'File',
      linkpath: f.linkTarget ?? '',
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
