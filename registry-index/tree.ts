// A registry tree is "the files of the registry at one revision": a git commit (read with
// isomorphic-git, or with system git inside a pre-receive hook), a directory on disk, or an in-memory
// map (tests, the PR checker). The index builder only sees this interface.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  /** Repository-relative path with forward slashes. */
  path: string;
  /**
   * Git blob id of the content. Trees that are not git compute it from the bytes; they may leave it
   * empty for files the index builder reads anyway (it fills it in then).
   */
  oid: string;
}

export interface TreeChange {
  path: string;
  /** Blob id before the change; absent when the file was added. */
  before?: string;
  /** Blob id after the change; absent when the file was deleted. */
  after?: string;
}

export interface RegistryTree {
  /** Commit id, or a label such as "working tree" for a directory. */
  readonly revision: string;
  /** Every file under the indexed roots (plugins/, templates/, keys/). */
  list(): Promise<TreeEntry[]>;
  read(entry: TreeEntry): Promise<Uint8Array>;
}

/** The top-level folders a registry index reads. */
export const indexedRoots = ['plugins', 'templates', 'keys'] as const;

/** The git blob id of some bytes, so files from disk and from git compare equal. */
export function gitBlobOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

/** Changes that turn the `before` listing into the `after` listing, sorted by path. */
export function diffListings(before: readonly TreeEntry[], after: readonly TreeEntry[]): TreeChange[] {
  const old = new Map(before.map((e) => [e.path, e.oid]));
  const changes: TreeChange[] = [];
  for (const e of after) {
    const was = old.get(e.path);
    if (was !== e.oid)
      changes.push(was === undefined ? { path: e.path, after: e.oid } : { path: e.path, before: was, after: e.oid });
    old.delete(e.path);
  }
  for (const [path, oid] of old) changes.push({ path, before: oid });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A checked-out registry directory (what `wfctl registry validate DIR` reads). Listing does not read
 * files: manifest and template entries come back with an empty oid, which the index builder computes
 * from the bytes it reads anyway; other files (stored archives) get theirs at listing time.
 */
export class DirectoryTree implements RegistryTree {
  readonly revision: string;

  constructor(
    private readonly root: string,
    revision = 'working tree',
  ) {
    this.revision = revision;
  }

  async list(): Promise<TreeEntry[]> {
    const out: TreeEntry[] = [];
    for (const top of indexedRoots) {
      const base = join(this.root, top);
      let entries;
      try {
        entries = readdirSync(base, { recursive: true, withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const e of entries) {
        if (!e.isFile()) continue;
        const rel = `${top}/${join(e.parentPath, e.name)
          .slice(base.length + 1)
          .split('\\')
          .join('/')}`;
        if (rel.split('/').some((s) => s.startsWith('.'))) continue; // editor swap files, .DS_Store
        const readLater = rel.endsWith('.json') || rel.endsWith('.yaml') || rel.endsWith('.yml');
        out.push({ path: rel, oid: readLater ? '' : gitBlobOid(readFileSync(join(this.root, rel))) });
      }
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async read(entry: TreeEntry): Promise<Uint8Array> {
    // Small files read synchronously are several times faster than one awaited read after another.
    return readFileSync(join(this.root, entry.path));
  }
}

/** Files held in memory: tests, and the PR checker's "base index plus the files of a pull request". */
export class MemoryTree implements RegistryTree {
  private readonly files: Map<string, Uint8Array>;
  constructor(
    files: Record<string, string | Uint8Array> | Map<string, Uint8Array>,
    readonly revision = 'memory',
  ) {
    this.files =
      files instanceof Map
        ? files
        : new Map(Object.entries(files).map(([p, c]) => [p, typeof c === 'string' ? Buffer.from(c) : c]));
  }
  async list(): Promise<TreeEntry[]> {
    return [...this.files]
      .filter(([p]) => indexedRoots.some((r) => p.startsWith(`${r}/`)))
      .map(([path, bytes]) => ({ path, oid: gitBlobOid(bytes) }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  async read(entry: TreeEntry): Promise<Uint8Array> {
    const b = this.files.get(entry.path);
    if (!b) throw new Error(`${entry.path}: no such file in the in-memory tree`);
    return b;
  }
}
