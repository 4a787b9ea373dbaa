// The upstream static API as files (`wfctl registry index --out DIR`): index.json plus
// plugins/<id>/{manifest,versions,latest}.json, and the archives stored in the repository next to
// the manifests that name them, so the tree can be served by any static web server. Written to a
// temporary directory and renamed into place: readers never see half an index.
//
// Indexing again into the same DIR is idempotent. A version already listed there keeps its `released`
// time (a checkout has no publication ledger, as the registry server has: the first index that listed
// a version stands for its release), and when every file would come out byte for byte the same,
// nothing is written: no file is created, replaced or removed.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { RegistryCatalog } from './catalog.ts';
import { forEachLimited } from './registry-index.ts';
import type { RegistrySnapshot } from './sync.ts';
import type { RegistryTree } from './tree.ts';

export async function writeStaticLayout(
  snapshot: RegistrySnapshot,
  tree: RegistryTree,
  outDir: string,
): Promise<{ files: number; unchanged: boolean }> {
  const out = outDir.replace(/\/+$/, '');
  const previous = readLayout(out);
  const catalog = new RegistryCatalog(snapshot);
  const files = new Map<string, Uint8Array>();
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  files.set('index.json', json(catalog.staticIndex()));
  for (const id of snapshot.index.plugins.keys()) {
    const entry = catalog.lookup(id)!;
    files.set(`plugins/${id}/manifest.json`, json(entry.current.manifest));
    const versions = catalog.staticVersions(entry);
    const released = previous && releasedIn(previous.files.get(`plugins/${id}/versions.json`));
    if (released) for (const v of versions.versions) v.released = released.get(v.version as string) ?? v.released;
    files.set(`plugins/${id}/versions.json`, json(versions));
    const latest = versions.versions.find((v) => !v.prerelease);
    if (latest) files.set(`plugins/${id}/latest.json`, json(latest));
    for (const v of entry.versions) {
      for (const a of v.artifacts)
        if (a.stored) files.set(`plugins/${id}/${a.url}`, await tree.read({ path: a.stored.path, oid: a.stored.oid }));
    }
  }
  if (previous && sameLayout(previous, files)) return { files: files.size, unchanged: true };
  const staging = `${out}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  // Hundreds of small files in ~100 directories: a directory's files are written together, up to 16
  // directories at once. File creation is mostly kernel time; concurrent, it uses both cores and
  // overlaps the file system's waits (2-3x faster than synchronous writes one after another).
  const byDir = new Map<string, [string, Uint8Array][]>();
  for (const [path, content] of files) {
    const dir = dirname(join(staging, path));
    (byDir.get(dir) ?? byDir.set(dir, []).get(dir)!).push([join(staging, path), content]);
  }
  await forEachLimited([...byDir], 16, async ([dir, list]) => {
    await mkdir(dir, { recursive: true });
    await Promise.all(list.map(([file, content]) => writeFile(file, content)));
  });
  const old = `${out}.old-${process.pid}`;
  await rename(out, old).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(staging, out);
  await rm(old, { recursive: true, force: true });
  return { files: files.size, unchanged: false };
}

interface Layout {
  /** Every file by relative path, with its bytes. */
  files: Map<string, Buffer>;
  dirs: Set<string>;
  /** Anything else (a link, a socket): the layout is not ours as it stands. */
  other: boolean;
}

/** What an earlier index left in `dir`; undefined when there is none (the first index). */
function readLayout(dir: string): Layout | undefined {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return undefined; // missing, or not a directory: the write reports what is wrong
  }
  const layout: Layout = { files: new Map(), dirs: new Set(), other: false };
  for (const e of entries) {
    const path = relative(dir, join(e.parentPath, e.name));
    if (e.isDirectory()) layout.dirs.add(path);
    else if (!e.isFile()) layout.other = true;
    else {
      try {
        layout.files.set(path, readFileSync(join(dir, path)));
      } catch {
        layout.other = true; // removed or unreadable meanwhile: write it all again
      }
    }
  }
  return layout;
}

/** Version -> `released` of an earlier versions.json; undefined when there is none or it is not ours. */
function releasedIn(bytes: Buffer | undefined): Map<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { versions?: Array<{ version?: unknown; released?: unknown }> };
    const released = new Map<string, unknown>();
    for (const v of doc.versions ?? [])
      if (typeof v.version === 'string' && typeof v.released === 'string') released.set(v.version, v.released);
    return released;
  } catch {
    return undefined;
  }
}

/** True when `layout` holds exactly these files with these bytes, and no other file or directory. */
function sameLayout(layout: Layout, files: ReadonlyMap<string, Uint8Array>): boolean {
  if (layout.other || layout.files.size !== files.size) return false;
  const dirs = new Set<string>();
  for (const [path, content] of files) {
    if (!layout.files.get(path)?.equals(content)) return false;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) dirs.add(path.slice(0, i));
  }
  return dirs.size === layout.dirs.size && [...dirs].every((d) => layout.dirs.has(d));
}
