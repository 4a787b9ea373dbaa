// wfctl.lock: the exact plugin versions an app runs, pinned by the sha256 of the archive the registry
// published and the key that signed it. `wfctl plugin install` writes it (and the operator writes the
// same document into each app's ConfigMap); the engine loads only plugins whose installed copy
// matches it. JSON, sorted by name, one entry per plugin:
//
//   { "lockfileVersion": 1,
//     "plugins": [ { "name": "hello", "range": "^0.1.0", "version": "0.1.0", "sha256": "<hex>",
//                    "signer": "<keyId>", "source": "http://registry:8090/api/v1/plugins/hello" } ] }
//
// Every installed plugin directory also holds a receipt (.wfctl-install.json) with the same identity
// and the sha256 of each extracted file, so a copy edited after installation is noticed at load.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const lockFileName = 'wfctl.lock';
export const receiptFileName = '.wfctl-install.json';

export interface LockedPlugin {
  /** Registry id; also the install directory name. */
  name: string;
  /** The range that was asked for (`wfctl plugin update` re-resolves it). */
  range?: string;
  version: string;
  /**
   * sha256 of the archive. Absent only for a plugin that has no archive because the engine has it
   * built in (the operator locks those too, to record the version the registry resolved).
   */
  sha256?: string;
  /** Key id of the publisher key whose signature was verified. */
  signer?: string;
  /** Where it came from: the registry's plugin URL. */
  source?: string;
}

export interface PluginLock {
  lockfileVersion: 1;
  plugins: LockedPlugin[];
}

export class PluginLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginLockError';
  }
}

export function emptyLock(): PluginLock {
  return { lockfileVersion: 1, plugins: [] };
}

const sha256Pattern = /^[0-9a-f]{64}$/;

/** Parse and check a lock document; `where` names it in errors. */
export function parseLock(text: string, where: string): PluginLock {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PluginLockError(
      `${where} is not valid JSON (${(err as Error).message}); restore it from version control or delete it and ` +
        `reinstall`,
    );
  }
  const d = doc as { lockfileVersion?: unknown; plugins?: unknown };
  if (!d || typeof d !== 'object' || d.lockfileVersion !== 1 || !Array.isArray(d.plugins))
    throw new PluginLockError(`${where} is not a plugin lock (expected {"lockfileVersion": 1, "plugins": [...]})`);
  const seen = new Set<string>();
  const plugins = d.plugins.map((p, i): LockedPlugin => {
    const e = p as Record<string, unknown>;
    const at = `${where}: plugins[${i}]`;
    for (const field of ['name', 'version'])
      if (typeof e?.[field] !== 'string' || e[field] === '') throw new PluginLockError(`${at} has no "${field}"`);
    if (e.sha256 !== undefined && !sha256Pattern.test(e.sha256 as string))
      throw new PluginLockError(`${at} (${e.name}): sha256 must be 64 lower-case hex digits`);
    if (seen.has(e.name as string)) throw new PluginLockError(`${at}: plugin "${e.name}" is locked twice`);
    seen.add(e.name as string);
    const optional = (field: string) =>
      typeof e[field] === 'string' && e[field] !== '' ? { [field]: e[field] as string } : {};
    return {
      name: e.name as string,
      ...optional('range'),
      version: e.version as string,
      ...optional('sha256'),
      ...optional('signer'),
      ...optional('source'),
    };
  });
  return { lockfileVersion: 1, plugins };
}

export function readLockFile(path: string): PluginLock | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseLock(text, path);
}

export function formatLock(lock: PluginLock): string {
  const plugins = [...lock.plugins].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return `${JSON.stringify({ lockfileVersion: 1, plugins }, null, 2)}\n`;
}

/** Replace the lock file in one rename, so a reader sees the old or the new one, never half. */
export function writeLockFile(path: string, lock: PluginLock): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, formatLock(lock));
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The lock with `entry` added or replacing the entry of the same name. */
export function withLocked(lock: PluginLock, entry: LockedPlugin): PluginLock {
  return { lockfileVersion: 1, plugins: [...lock.plugins.filter((p) => p.name !== entry.name), entry] };
}

export function withoutLocked(lock: PluginLock, name: string): PluginLock {
  return { lockfileVersion: 1, plugins: lock.plugins.filter((p) => p.name !== name) };
}

/** A lock entry by registry id, manifest name, or either with/without the `workflow-plugin-` prefix. */
export function findLocked(lock: PluginLock, name: string): LockedPlugin | undefined {
  const bare = name.replace(/^workflow-plugin-/, '');
  return lock.plugins.find(
    (p) => p.name === name || p.name === bare || p.name.replace(/^workflow-plugin-/, '') === bare,
  );
}

// ---------------------------------------------------------------------------------------------
// Install receipts
// ---------------------------------------------------------------------------------------------

export interface InstallReceipt extends LockedPlugin {
  sha256: string;
  /** sha256 of every extracted file, by path relative to the plugin directory. */
  files: Record<string, string>;
}

/** sha256 of every file under `dir` (the receipt itself excluded), by forward-slash relative path. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const rel = relative(dir, full).split('\\').join('/');
    if (rel === receiptFileName) continue;
    out[rel] = createHash('sha256').update(readFileSync(full)).digest('hex');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function writeReceipt(dir: string, receipt: InstallReceipt): void {
  writeFileSync(join(dir, receiptFileName), `${JSON.stringify(receipt, null, 2)}\n`);
}

export function readReceipt(dir: string): InstallReceipt | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, receiptFileName), 'utf8')) as InstallReceipt;
  } catch {
    return undefined;
  }
}

/**
 * Why the installed plugin in `dir` is not exactly what the lock entry pins, or undefined when it is:
 * the receipt must name the same version and archive sha256, and every file must still hash as it
 * did when it was extracted (nothing changed, added or removed).
 */
export function installedMismatch(dir: string, locked: LockedPlugin): string | undefined {
  const receipt = readReceipt(dir);
  if (!receipt) return `${dir} has no install receipt (${receiptFileName}); it was not installed by wfctl`;
  if (receipt.version !== locked.version)
    return `${dir} holds ${receipt.name}@${receipt.version}, but the lock pins ${locked.version}`;
  if (!locked.sha256) return `the lock pins ${locked.name}@${locked.version} without an archive checksum`;
  if (receipt.sha256 !== locked.sha256)
    return (
      `${dir} was installed from an archive with sha256 ${receipt.sha256.slice(0, 12)}..., but the lock ` +
      `pins ${locked.sha256.slice(0, 12)}...`
    );
  const now = hashTree(dir);
  const changed = Object.keys({ ...now, ...receipt.files }).filter((f) => now[f] !== receipt.files[f]);
  if (changed.length > 0)
    return (
      `files of ${dir} changed since installation ` +
      `(${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', ...' : ''})`
    );
  return undefined;
}
