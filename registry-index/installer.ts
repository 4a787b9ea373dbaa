// Installing plugins from a registry into a plugin directory, recorded in wfctl.lock:
//
//   resolve NAME@RANGE (registry API) -> not yanked, engineApi fits this engine, sha256 and a signature
//   published -> download -> bytes hash to the sha256 -> a trusted key's signature over name, version
//   and sha256 -> extract (archive.ts: checked first, node-tar writes) into a staging directory ->
//   manifest matches -> receipt -> swap the directory into place -> lock written
//
// Every check fails closed, and a failure at any point leaves the plugin directory and the lock as
// they were: the new copy is assembled beside the old one and swapped in with renames, the lock is
// replaced in one rename, and a failed lock write puts the previous directory back.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  emptyLock,
  engineApiProblem,
  findLocked,
  hashTree,
  installedMismatch,
  readLockFile,
  readPluginManifest,
  withLocked,
  withoutLocked,
  writeLockFile,
  writeReceipt,
  type LockedPlugin,
  type PluginLock,
} from '../engine/index.ts';
import { type ArchiveLimits, extractTarGz } from './archive.ts';
import { artifactFor, IntegrityError, type RegistryClient } from './client.ts';
import { checkSignature, type TrustedKey } from './trusted-keys.ts';

export interface InstallOptions {
  registry: RegistryClient;
  /** The registry's base URL, recorded as each plugin's source. */
  registryUrl: string;
  /** Plugins go to <pluginDir>/<name>/. */
  pluginDir: string;
  lockPath: string;
  /** Default: this machine's. */
  platform?: { os: string; arch: string };
  /** Install archives that carry no publisher signature (their sha256 is still verified). */
  allowUnsigned?: boolean;
  limits?: ArchiveLimits;
}

/** A refusal: what was wrong and what to do. Nothing was changed. */
export class InstallError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'InstallError';
  }
}

export interface InstallResult {
  name: string;
  version: string;
  sha256: string;
  signer?: string;
  /** The version it replaced, if any. */
  previous?: string;
  /** Already installed exactly as locked: nothing was downloaded. */
  unchanged?: boolean;
}

export function currentPlatform(): { os: string; arch: string } {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return { os, arch };
}

export function readLock(path: string): PluginLock {
  return readLockFile(path) ?? emptyLock();
}

/** Parse NAME[@RANGE] (a leading @ is part of a scoped name, not a range). */
export function parsePluginSpec(spec: string): { name: string; range?: string } {
  const at = spec.indexOf('@', 1);
  return at === -1 ? { name: spec } : { name: spec.slice(0, at), range: spec.slice(at + 1) || undefined };
}

/** Resolve, verify and install one plugin; records it in the lock. */
export async function installPlugin(
  spec: { name: string; range?: string },
  opts: InstallOptions,
): Promise<InstallResult> {
  const range = spec.range ?? 'latest';
  const resolution = await opts.registry.resolve(spec.name, range);
  if (resolution.yanked)
    throw new InstallError(
      `${resolution.name}@${resolution.version} is yanked (${resolution.yanked.reason}); a new install never ` +
        `chooses a yanked version`,
      `pick another version: wfctl plugin info ${resolution.name}`,
    );
  const previous = findLocked(readLock(opts.lockPath), resolution.name);
  const result = await install(
    {
      name: resolution.name,
      version: resolution.version,
      ...(spec.range ? { range: spec.range } : previous?.range ? { range: previous.range } : {}),
    },
    resolution.manifest,
    opts,
  );
  return previous && previous.version !== result.version ? { ...result, previous: previous.version } : result;
}

/**
 * Install exactly what the lock pins (the engine pod at start, `wfctl plugin install` without
 * arguments): same version, same archive sha256, same signer. Yanked versions stay installable here.
 */
export async function installFromLock(opts: InstallOptions): Promise<InstallResult[]> {
  const lock = readLockFile(opts.lockPath);
  if (!lock) throw new InstallError(`${opts.lockPath} not found`, 'install plugins by name: wfctl plugin install NAME');
  const results: InstallResult[] = [];
  for (const locked of lock.plugins) {
    if (!locked.sha256) continue; // built into the engine: nothing to download
    const dir = join(opts.pluginDir, locked.name);
    if (existsSync(dir) && !installedMismatch(dir, locked)) {
      results.push({
        name: locked.name,
        version: locked.version,
        sha256: locked.sha256,
        ...signer(locked),
        unchanged: true,
      });
      continue;
    }
    const manifest = await opts.registry.manifest(locked.name, locked.version);
    results.push(await install(locked, manifest, opts, locked));
  }
  return results;
}

function signer(locked: LockedPlugin): { signer?: string } {
  return locked.signer ? { signer: locked.signer } : {};
}

async function install(
  target: { name: string; version: string; range?: string },
  manifest: { name: string; version: string; engineApi?: string },
  opts: InstallOptions,
  pinned?: LockedPlugin,
): Promise<InstallResult> {
  const what = `${target.name}@${target.version}`;
  const incompatible = engineApiProblem({
    name: manifest.name,
    version: manifest.version,
    engineApi: manifest.engineApi,
  });
  if (incompatible) throw new InstallError(incompatible);
  if (!manifest.engineApi)
    throw new InstallError(
      `${what} states no engineApi, so it is not a plugin this engine can load`,
      'it may be an upstream (Go) plugin; JavaScript plugins state "engineApi" in manifest.json',
    );
  const platform = opts.platform ?? currentPlatform();
  const doc = await opts.registry.plugin(target.name);
  const version = doc.versions.find((v) => v.version === target.version);
  if (!version) throw new InstallError(`the registry has no ${what}`);
  const candidates = artifactFor(version.downloads, platform);
  if (candidates.length === 0)
    throw new InstallError(
      `${what} has no archive for ${platform.os}/${platform.arch}`,
      `platforms: ${version.downloads.map((d) => `${d.os}/${d.arch}`).join(', ') || 'none'}`,
    );
  if (candidates.length > 1)
    throw new InstallError(
      `${what} has several archives for ${platform.os}/${platform.arch}; the registry should have refused it`,
    );
  const artifact = candidates[0]!;
  if (!artifact.sha256)
    throw new InstallError(
      `${what} publishes no sha256 checksum for its archive; refusing to install bytes nothing can verify`,
      'ask the publisher to publish with `wfctl publish`',
    );
  if (pinned?.sha256 && artifact.sha256 !== pinned.sha256)
    throw new InstallError(
      `the registry now publishes sha256 ${artifact.sha256.slice(0, 12)}... for ${what}, but the lock pins ` +
        `${pinned.sha256.slice(0, 12)}...`,
      'published versions are immutable; this registry is not the one the lock came from, or it was tampered with',
    );
  if (!artifact.signature && !opts.allowUnsigned)
    throw new InstallError(
      `${what} is not signed by its publisher; refusing to install it`,
      'install unsigned archives only if you trust the registry alone: --allow-unsigned',
    );

  let downloaded: Awaited<ReturnType<RegistryClient['download']>>;
  try {
    downloaded = await opts.registry.download(target.name, target.version, platform);
  } catch (err) {
    if (err instanceof IntegrityError)
      throw new InstallError(
        `${err.message}; the archive was tampered with or corrupted in transit`,
        'nothing was installed',
      );
    throw err;
  }
  let keys: Map<string, TrustedKey> | undefined;
  if (artifact.signature) {
    keys = await opts.registry.trustedKeys();
    const verdict = checkSignature(
      keys,
      { pluginId: doc.name, name: doc.manifestName, version: target.version, sha256: downloaded.sha256 },
      artifact.signature,
    );
    if (!verdict.ok) throw new InstallError(`${verdict.message}; refusing to install it`, verdict.hint);
    if (pinned?.signer && pinned.signer !== verdict.key.keyId)
      throw new InstallError(
        `${what} is now signed by key ${verdict.key.keyId}, but the lock pins signer ${pinned.signer}`,
        'a publisher key change needs a new install: wfctl plugin install NAME@VERSION',
      );
  }

  mkdirSync(opts.pluginDir, { recursive: true });
  sweepLeftovers(opts.pluginDir);
  const stage = join(opts.pluginDir, `.staging-${target.name}-${randomBytes(4).toString('hex')}`);
  const final = join(opts.pluginDir, target.name);
  const old = join(opts.pluginDir, `.old-${target.name}-${randomBytes(4).toString('hex')}`);
  let swapped = false;
  try {
    await extractTarGz(downloaded.bytes, stage, opts.limits);
    const extracted = readPluginManifest(stage);
    if (extracted.name !== manifest.name || extracted.version !== target.version)
      throw new InstallError(
        `the archive of ${what} holds ${extracted.name}@${extracted.version}; refusing a mislabelled archive`,
      );
    const entry: LockedPlugin = {
      name: target.name,
      ...(target.range ? { range: target.range } : {}),
      version: target.version,
      sha256: downloaded.sha256,
      ...(artifact.signature ? { signer: artifact.signature.keyId } : {}),
      source: `${opts.registryUrl.replace(/\/+$/, '')}/api/v1/plugins/${encodeURIComponent(target.name)}`,
    };
    writeReceipt(stage, { ...entry, sha256: downloaded.sha256, files: hashTree(stage) });
    const hadOld = existsSync(final);
    if (hadOld) renameSync(final, old);
    renameSync(stage, final);
    swapped = true;
    try {
      writeLockFile(opts.lockPath, withLocked(readLock(opts.lockPath), entry));
    } catch (err) {
      // put the previous copy back: the lock and the directory must agree
      rmSync(final, { recursive: true, force: true });
      if (hadOld) renameSync(old, final);
      swapped = false;
      throw new InstallError(`cannot write ${opts.lockPath}: ${(err as Error).message}`, 'nothing was installed');
    }
    return { name: target.name, version: target.version, sha256: downloaded.sha256, ...signer(entry) };
  } catch (err) {
    if (err instanceof Error && err.name === 'ArchiveError')
      throw new InstallError(`${what}: ${err.message}; refusing to install it`, 'nothing was installed');
    throw err;
  } finally {
    rmSync(stage, { recursive: true, force: true });
    if (swapped) rmSync(old, { recursive: true, force: true });
  }
}

/** Staging and replaced copies left by an interrupted install (a crash between renames). */
function sweepLeftovers(pluginDir: string): void {
  for (const name of readdirSync(pluginDir))
    if (name.startsWith('.staging-') || name.startsWith('.old-'))
      rmSync(join(pluginDir, name), { recursive: true, force: true });
}

/** Remove an installed plugin and its lock entry. */
export function removePlugin(name: string, opts: Pick<InstallOptions, 'pluginDir' | 'lockPath'>): LockedPlugin {
  const lock = readLock(opts.lockPath);
  const locked = findLocked(lock, name);
  if (!locked)
    throw new InstallError(`plugin "${name}" is not in ${opts.lockPath}`, 'wfctl plugin list shows what is installed');
  const dir = join(opts.pluginDir, locked.name);
  const trash = join(opts.pluginDir, `.old-${locked.name}-${randomBytes(4).toString('hex')}`);
  const had = existsSync(dir);
  if (had) renameSync(dir, trash);
  try {
    writeLockFile(opts.lockPath, withoutLocked(lock, locked.name));
  } catch (err) {
    if (had) renameSync(trash, dir);
    throw new InstallError(`cannot write ${opts.lockPath}: ${(err as Error).message}`, 'nothing was removed');
  }
  rmSync(trash, { recursive: true, force: true });
  return locked;
}

export interface InstalledPlugin extends LockedPlugin {
  /** Why the installed copy does not match the lock (missing, changed), if it does not. */
  problem?: string;
}

/** Every locked plugin and whether its installed copy matches. */
export function listInstalled(opts: Pick<InstallOptions, 'pluginDir' | 'lockPath'>): InstalledPlugin[] {
  return readLock(opts.lockPath).plugins.map((p) => {
    const dir = join(opts.pluginDir, p.name);
    const problem = existsSync(dir)
      ? installedMismatch(dir, p)
      : `not installed in ${opts.pluginDir} (wfctl plugin install)`;
    return problem ? { ...p, problem } : p;
  });
}

/** Re-resolve the locked range of one plugin (or all) and install what changed. */
export async function updatePlugins(names: string[], opts: InstallOptions): Promise<InstallResult[]> {
  const lock = readLock(opts.lockPath);
  const targets = names.length
    ? names.map((n) => {
        const locked = findLocked(lock, n);
        if (!locked)
          throw new InstallError(`plugin "${n}" is not in ${opts.lockPath}`, `install it: wfctl plugin install ${n}`);
        return locked;
      })
    : lock.plugins;
  const results: InstallResult[] = [];
  for (const locked of targets) {
    const resolution = await opts.registry.resolve(locked.name, locked.range ?? 'latest');
    if (resolution.version === locked.version) {
      results.push({
        name: locked.name,
        version: locked.version,
        sha256: locked.sha256 ?? '',
        ...signer(locked),
        unchanged: true,
      });
      continue;
    }
    if (resolution.yanked)
      throw new InstallError(`${locked.name}@${resolution.version} is yanked (${resolution.yanked.reason})`);
    const result = await install(
      { name: locked.name, version: resolution.version, ...(locked.range ? { range: locked.range } : {}) },
      resolution.manifest,
      opts,
    );
    results.push({ ...result, previous: locked.version });
  }
  return results;
}
