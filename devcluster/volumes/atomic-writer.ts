// Projected volume contents (ConfigMap, Secret, downward API) written the way the kubelet's
// AtomicWriter does, so a running process sees a whole new version at once or none of it:
//
//   <dir>/..2025_01_01_12_00_00.123/<files>     one directory per version
//   <dir>/..data -> ..2025_01_01_12_00_00.123     swapped by an atomic rename
//   <dir>/<key>  -> ..data/<key>                  one symlink per top-level name
//
// Removed keys disappear, added keys appear, and an unchanged payload writes nothing.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export interface ProjectedFile {
  content: Buffer;
  mode: number;
}

/** Relative path ("config/app.yaml") -> file. */
export type Payload = Map<string, ProjectedFile>;

const DATA = '..data';

/** Writes `payload` into `dir` atomically; returns whether anything changed. */
export function writeAtomically(dir: string, payload: Payload): boolean {
  mkdirSync(dir, { recursive: true });
  const current = currentVersion(dir);
  if (current && samePayload(join(dir, current), payload)) return false;

  const version = versionName(dir);
  const versionDir = join(dir, version);
  mkdirSync(versionDir);
  for (const [path, file] of payload) {
    const target = join(versionDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    chmodSync(target, file.mode & 0o777);
  }
  const tmp = join(dir, '..data_tmp');
  rmSync(tmp, { force: true });
  symlinkSync(version, tmp);
  renameSync(tmp, join(dir, DATA));

  const topLevel = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of topLevel) {
    const link = join(dir, name);
    if (!isSymlink(link)) {
      rmSync(link, { recursive: true, force: true });
      symlinkSync(join(DATA, name), link);
    }
  }
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('..')) {
      if (entry !== DATA && entry !== version) rmSync(join(dir, entry), { recursive: true, force: true });
    } else if (!topLevel.has(entry)) {
      rmSync(join(dir, entry), { recursive: true, force: true });
    }
  }
  return true;
}

function currentVersion(dir: string): string | undefined {
  try {
    return readlinkSync(join(dir, DATA));
  } catch {
    return undefined;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** A timestamped name that sorts by time and never repeats within one directory. */
function versionName(dir: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '');
  let name = `..${stamp}`;
  for (let i = 1; existsSync(join(dir, name)); i++) name = `..${stamp}.${i}`;
  return name;
}

function samePayload(versionDir: string, payload: Payload): boolean {
  const present = listFiles(versionDir, '');
  if (present.length !== payload.size) return false;
  for (const path of present) {
    const wanted = payload.get(path);
    if (!wanted) return false;
    const full = join(versionDir, path);
    if ((statSync(full).mode & 0o777) !== (wanted.mode & 0o777)) return false;
    if (!readFileSync(full).equals(wanted.content)) return false;
  }
  return true;
}

function listFiles(dir: string, prefix: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out;
}
