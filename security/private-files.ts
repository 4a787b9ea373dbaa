// Data dirs hold credentials (tokens, keys, Secrets in state.db): mode 0700 for the directory and
// 0600 for its files, whatever the umask, and tightened on every start for dirs made before.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Creates `dir` (and parents) if needed; the dir itself ends up 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** Creates `path` empty if missing; either way it ends up 0600 (before anything secret goes in). */
export function ensurePrivateFile(path: string): void {
  if (existsSync(path)) {
    if ((statSync(path).mode & 0o777) !== 0o600) chmodSync(path, 0o600);
  } else closeSync(openSync(path, 'a', 0o600));
}

/** Writes `path` as a 0600 file (also when it existed with a looser mode). */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  ensurePrivateFile(path);
  writeFileSync(path, data, { mode: 0o600 });
}

/** Makes every regular file directly in `dir` (and in `subdirs`) 0600, and those subdirs 0700. */
export function tightenFiles(dir: string, subdirs: string[] = []): void {
  for (const d of [dir, ...subdirs.map((s) => join(dir, s))]) {
    if (!existsSync(d)) continue;
    if (d !== dir) ensurePrivateDir(d);
    for (const entry of readdirSync(d, { withFileTypes: true }))
      if (entry.isFile()) ensurePrivateFile(join(d, entry.name));
  }
}
