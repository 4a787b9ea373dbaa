// A registry tree at one git commit, read in-process with isomorphic-git (no working tree needed).
// Changed paths between two commits come from comparing tree ids top-down: a subtree whose id did not
// change is skipped without being read, so a one-manifest commit in a 10,000-plugin registry reads a
// handful of tree objects. No per-file history walks. The one big object such a commit does read is
// the plugins/ tree (10,000 entries, ~0.5 MB): two versions of it are compared on their raw bytes,
// and only the entries between their common head and tail are decoded.
import * as fs from 'node:fs';
import { inflateSync } from 'node:zlib';
import git from 'isomorphic-git';
import { indexedRoots, type RegistryTree, type TreeChange, type TreeEntry } from './tree.ts';

export interface GitLocation {
  /** The .git directory (or a bare repository). */
  gitdir: string;
  /** isomorphic-git's pack index cache; share one object across calls on the same repository. */
  cache?: object;
}

interface GitTreeItem {
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

const rawTrees = new WeakMap<object, Map<string, Buffer>>();

/**
 * Offsets where the entries of a raw git tree object ("<mode> <name>\0<20-byte id>" repeated) start, plus its
 * length.
 */
function entryOffsets(buf: Buffer): number[] {
  const starts: number[] = [];
  for (let i = 0; i < buf.length; ) {
    starts.push(i);
    const nul = buf.indexOf(0, i);
    if (nul < 0 || nul + 21 > buf.length) throw new Error('corrupt git tree object: an entry is cut short');
    i = nul + 21;
  }
  starts.push(buf.length);
  return starts;
}

/** Entries starts[from..to) of a raw tree object. */
function decodeEntries(buf: Buffer, starts: readonly number[], from = 0, to = starts.length - 1): GitTreeItem[] {
  const items: GitTreeItem[] = [];
  for (let k = from; k < to; k++) {
    const i = starts[k]!;
    const space = buf.indexOf(0x20, i);
    const nul = buf.indexOf(0, space);
    const mode = buf.toString('latin1', i, space);
    items.push({
      path: buf.toString('utf8', space + 1, nul),
      oid: buf.toString('hex', nul + 1, nul + 21),
      type: mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob',
    });
  }
  return items;
}

/**
 * The entries that differ between two raw tree objects, decoded: entries are sorted by name, so the
 * byte-identical entries at the head and at the tail of both are unchanged, and a name can only be
 * in the middle part of both or of neither.
 */
function differingEntries(before: Buffer, after: Buffer): { old: GitTreeItem[]; now: GitTreeItem[] } {
  const a = entryOffsets(before);
  const b = entryOffsets(after);
  const same = (i: number, j: number) => before.compare(after, b[j]!, b[j + 1]!, a[i]!, a[i + 1]!) === 0;
  let head = 0;
  while (head < a.length - 1 && head < b.length - 1 && same(head, head)) head++;
  let tailA = a.length - 1;
  let tailB = b.length - 1;
  while (tailA > head && tailB > head && same(tailA - 1, tailB - 1)) {
    tailA--;
    tailB--;
  }
  return { old: decodeEntries(before, a, head, tailA), now: decodeEntries(after, b, head, tailB) };
}

export class GitCommitTree implements RegistryTree {
  readonly revision: string;
  private readonly gitdir: string;
  private readonly cache: object;

  constructor(location: GitLocation, commit: string) {
    this.gitdir = location.gitdir;
    this.cache = location.cache ?? {};
    this.revision = commit;
  }

  async list(): Promise<TreeEntry[]> {
    const out: TreeEntry[] = [];
    for (const root of await this.roots(this.revision)) await this.collect(root.oid, root.path, out);
    return out;
  }

  async read(entry: TreeEntry): Promise<Uint8Array> {
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: entry.oid, cache: this.cache });
    return blob;
  }

  /** Paths under plugins/ and templates/ that differ between `from` and this tree's commit. */
  async changesSince(from: string): Promise<TreeChange[]> {
    const before = new Map((await this.roots(from)).map((r) => [r.path, r.oid]));
    const after = new Map((await this.roots(this.revision)).map((r) => [r.path, r.oid]));
    const changes: TreeChange[] = [];
    for (const root of indexedRoots) await this.diff(root, before.get(root), after.get(root), changes);
    return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async roots(commit: string): Promise<GitTreeItem[]> {
    const { commit: c } = await git.readCommit({ fs, gitdir: this.gitdir, oid: commit, cache: this.cache });
    const items = await this.readTree(c.tree);
    return items.filter((e) => e.type === 'tree' && (indexedRoots as readonly string[]).includes(e.path));
  }

  private async readTree(oid: string): Promise<GitTreeItem[]> {
    const raw = await this.readRawTree(oid);
    return decodeEntries(raw, entryOffsets(raw));
  }

  /**
   * A tree object's content. Tree objects are immutable, so they are kept (per repository cache): a
   * sync diffing commit N against N-1 reads the big plugins/ tree of N-1 only once, when it was new.
   * Loose objects are inflated here with node:zlib, several times faster than isomorphic-git's
   * JavaScript inflate (and, like git itself, without re-hashing what it reads).
   */
  private async readRawTree(oid: string): Promise<Buffer> {
    let trees = rawTrees.get(this.cache);
    if (!trees) rawTrees.set(this.cache, (trees = new Map()));
    let raw = trees.get(oid);
    if (!raw) {
      // Loose objects come back deflated; packed ones (and the built-in empty tree) already inflated.
      const read = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'deflated', cache: this.cache });
      const bytes = read.object as Uint8Array;
      const buf =
        read.format === 'deflated' ? inflateSync(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      raw = read.format === 'content' ? buf : buf.subarray(buf.indexOf(0) + 1); // drop the "tree <size>\0" header
      if (trees.size >= 256) trees.clear();
      trees.set(oid, raw);
    }
    return raw;
  }

  private async collect(treeOid: string, prefix: string, out: TreeEntry[]): Promise<void> {
    for (const item of await this.readTree(treeOid)) {
      const path = `${prefix}/${item.path}`;
      if (item.type === 'tree') await this.collect(item.oid, path, out);
      else if (item.type === 'blob') out.push({ path, oid: item.oid });
    }
  }

  private async diff(
    path: string,
    before: string | undefined,
    after: string | undefined,
    out: TreeChange[],
  ): Promise<void> {
    if (before === after) return;
    const { old, now } =
      before && after
        ? differingEntries(await this.readRawTree(before), await this.readRawTree(after))
        : { old: before ? await this.readTree(before) : [], now: after ? await this.readTree(after) : [] };
    const oldByName = new Map(old.map((e) => [e.path, e]));
    for (const e of now) {
      const was = oldByName.get(e.path);
      oldByName.delete(e.path);
      const child = `${path}/${e.path}`;
      if (was && was.oid === e.oid && was.type === e.type) continue;
      if (e.type === 'tree' || was?.type === 'tree') {
        // A file replaced by a directory (or the reverse) is a delete plus adds.
        if (was && was.type === 'blob') out.push({ path: child, before: was.oid });
        await this.diff(child, was?.type === 'tree' ? was.oid : undefined, e.type === 'tree' ? e.oid : undefined, out);
        if (e.type === 'blob')
          out.push({ path: child, ...(was?.type === 'blob' ? { before: was.oid } : {}), after: e.oid });
      } else if (e.type === 'blob') {
        out.push(was ? { path: child, before: was.oid, after: e.oid } : { path: child, after: e.oid });
      }
    }
    for (const was of oldByName.values()) {
      const child = `${path}/${was.path}`;
      if (was.type === 'tree') await this.diff(child, was.oid, undefined, out);
      else if (was.type === 'blob') out.push({ path: child, before: was.oid });
    }
  }
}

/** The commit a branch, tag or (abbreviated) commit id names, or undefined. */
export async function resolveCommit(gitdir: string, ref: string): Promise<string | undefined> {
  try {
    const oid = await git.resolveRef({ fs, gitdir, ref });
    const { type } = await git.readObject({ fs, gitdir, oid, format: 'parsed' });
    if (type === 'commit') return oid;
    if (type === 'tag') return (await git.readTag({ fs, gitdir, oid })).tag.object;
    return undefined;
  } catch {
    try {
      return await git.expandOid({ fs, gitdir, oid: ref });
    } catch {
      return undefined;
    }
  }
}
