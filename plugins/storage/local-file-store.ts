// Files under one root directory, addressed by slash-separated keys (`builds/app/v1.bin`): the
// filesystem side of storage.local and storage.artifact. A key can never leave the root (no `..`,
// no absolute paths, no backslashes or NUL); writes go to a temp file renamed into place, so a reader
// never sees half a file and a failed write loses nothing.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

export class InvalidKeyError extends Error {}
export class NotFoundError extends Error {}

export interface FileInfo {
  key: string;
  size: number;
  modified: Date;
}

/** The key's segments, or an InvalidKeyError naming what is wrong with it. */
export function keySegments(key: string): string[] {
  const trimmed = key.replace(/^\/+/, '');
  if (trimmed === '') throw new InvalidKeyError('the key is empty');
  if (trimmed.length > 1024) throw new InvalidKeyError('the key is longer than 1024 characters');
  if (/[\\\0]/.test(trimmed)) throw new InvalidKeyError(`key "${key}" contains a backslash or NUL`);
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    throw new InvalidKeyError(`key "${key}" has an empty, "." or ".." segment`);
  return segments;
}

export class LocalFileStore {
  /** `skipDir`: a top-level directory of the root that list() never shows (storage.artifact's metadata). */
  constructor(
    readonly root: string,
    private readonly skipDir?: string,
  ) {}

  path(key: string): string {
    return join(this.root, ...keySegments(key));
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, data);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw new NotFoundError(`"${key}" not found`);
      throw err;
    }
  }

  async stat(key: string): Promise<FileInfo | undefined> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key: keySegments(key).join('/'), size: s.size, modified: s.mtime } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Deletes the file; false when there was none. Empty parent directories go too. */
  async delete(key: string): Promise<boolean> {
    const target = this.path(key);
    try {
      await unlink(target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return false;
      throw err;
    }
    for (let dir = dirname(target); dir !== this.root && dir.startsWith(this.root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir); // only succeeds on an empty directory
      } catch {
        break;
      }
    }
    return true;
  }

  /** Every file whose key starts with `prefix`, sorted by key (temp files of writes in progress excluded). */
  async list(prefix = ''): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        const key = relative(this.root, full).split(sep).join('/');
        if (entry.isDirectory()) {
          if (dir === this.root && entry.name === this.skipDir) continue;
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix) || prefix === '') await walk(full);
        } else if (entry.isFile() && key.startsWith(prefix) && !entry.name.endsWith('.tmp')) {
          const s = await stat(full).catch(() => undefined);
          if (s) out.push({ key, size: s.size, modified: s.mtime });
        }
      }
    };
    await walk(this.root);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
