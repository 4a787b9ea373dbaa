// Rules that look at more than one file: a plugin assembled from manifest.json, its version files and
// its stored archives; and the whole registry (unique names, template references). Per-file rules
// live in rules.ts; both are part of the one validator.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseJson } from './json-source.ts';
import type { Manifest } from './manifest.ts';
import type { Problem } from './problem.ts';
import type {
  ArchiveFacts,
  Artifact,
  BuildContext,
  ManifestFileRecord,
  PluginEntry,
  PluginFileRecord,
  TemplateRecord,
  VersionEntry,
} from './registry-index.ts';
import { sortByVersionDescending } from './version-order.ts';
import { closestMatch } from '../common/index.ts';
import { summarize } from './summary.ts';
import type { RegistryTree } from './tree.ts';
import { checkSignature, trustedKeys, type KeyRecord, type SignatureVerdict, type TrustedKey } from './trusted-keys.ts';

export interface PluginCheck {
  entry?: PluginEntry;
  problems: Problem[];
}

export async function checkPlugin(
  id: string,
  group: ReadonlyMap<string, PluginFileRecord>,
  ctx: Required<BuildContext>,
): Promise<PluginCheck> {
  const problems: Problem[] = [];
  const manifestPath = `plugins/${id}/manifest.json`;
  const main = group.get(manifestPath);
  const versionFiles = [...group.values()].filter((r): r is ManifestFileRecord => r.kind === 'version');
  if (main?.kind !== 'manifest') {
    const first = versionFiles[0] ?? [...group.values()][0]!;
    problems.push(
      at(
        first.path,
        1,
        1,
        '',
        'missing-manifest',
        `plugins/${id}/ has no manifest.json`,
        `add plugins/${id}/manifest.json describing the current version, or remove the directory`,
      ),
    );
    return { problems };
  }
  if (!main.manifest) return { problems }; // its own problems are reported with the file

  const locate = (record: ManifestFileRecord, pointer: string) => locateInFile(ctx.tree, record, pointer);
  const current = await versionEntry(id, main, main.manifest, group, ctx, problems);
  const versions: VersionEntry[] = [current];
  for (const record of versionFiles) {
    const m = record.manifest;
    if (!m) continue;
    if (m.name !== main.manifest.name) {
      problems.push(
        at(
          record.path,
          ...(await locate(record, '/name')),
          '/name',
          'version-name-mismatch',
          `name "${m.name}" differs from "${main.manifest.name}" in ${manifestPath}`,
          'every version of a plugin carries the same name',
        ),
      );
      continue;
    }
    if (m.version === main.manifest.version) {
      problems.push(
        at(
          record.path,
          ...(await locate(record, '/version')),
          '/version',
          'duplicate-version',
          `version ${m.version} is also the current version in ${manifestPath}`,
          `delete ${record.path}, or bump "version" in manifest.json`,
        ),
      );
      continue;
    }
    versions.push(await versionEntry(id, record, m, group, ctx, problems));
  }
  return {
    entry: {
      id,
      current,
      versions: versions.length > 1 ? sortByVersionDescending(versions, (v) => v.version) : versions,
      summary: summarize(id, main.manifest),
    },
    problems,
  };
}

async function versionEntry(
  id: string,
  record: ManifestFileRecord,
  manifest: Manifest,
  group: ReadonlyMap<string, PluginFileRecord>,
  ctx: Required<BuildContext>,
  problems: Problem[],
): Promise<VersionEntry> {
  const artifacts: Artifact[] = [];
  for (const [i, d] of (manifest.downloads ?? []).entries()) {
    const artifact: Artifact = {
      os: d.os,
      arch: d.arch,
      url: d.url,
      ...(d.sha256 ? { sha256: d.sha256 } : {}),
      ...(d.signature ? { signature: d.signature } : {}),
    };
    const blob = blobDigest(d.url);
    if (blob) artifact.blob = blob;
    else if (!/^[a-z][a-z0-9+.-]*:/i.test(d.url)) {
      const stored = await storedArchive(id, record, i, d.url, d.sha256, group, ctx, problems);
      if (stored) artifact.stored = stored;
    }
    artifacts.push(artifact);
  }
  return {
    version: manifest.version,
    file: record.path,
    manifest,
    artifacts,
    ...(manifest.yanked ? { yanked: manifest.yanked } : {}),
  };
}

/** Check an archive kept in the registry repo (relative download URL): present, pinned, matching, safe. */
async function storedArchive(
  id: string,
  record: ManifestFileRecord,
  index: number,
  url: string,
  sha256: string | undefined,
  group: ReadonlyMap<string, PluginFileRecord>,
  ctx: Required<BuildContext>,
  problems: Problem[],
): Promise<Artifact['stored']> {
  const path = posix.join(`plugins/${id}`, url);
  const pointer = `/downloads/${index}`;
  const report = async (ptr: string, rule: string, message: string, hint: string) =>
    problems.push(at(record.path, ...(await locateInFile(ctx.tree, record, ptr)), ptr, rule, message, hint));
  const asset = group.get(path);
  if (asset?.kind !== 'asset') {
    await report(
      `${pointer}/url`,
      'download-archive-missing',
      `downloads[${index}] names ${path}, which is not in the repository`,
      `commit the archive at ${path}, or use an https URL`,
    );
    return undefined;
  }
  let facts = ctx.archiveFacts.get(asset.oid);
  if (!facts) {
    facts = await inspectArchive(await ctx.tree.read(asset));
    ctx.archiveFacts.set(asset.oid, facts);
  }
  if (!sha256) {
    await report(
      pointer,
      'download-sha256-required',
      `downloads[${index}] is stored in the repository but has no sha256`,
      `add "sha256": "${facts.sha256}"`,
    );
  } else if (sha256 !== facts.sha256) {
    await report(
      `${pointer}/sha256`,
      'download-sha256-mismatch',
      `sha256 of downloads[${index}] does not match ${path} (the file hashes to ${facts.sha256})`,
      'commit the archive the manifest describes, or correct the sha256 in a new version',
    );
  }
  if (facts.unsafe) {
    await report(
      `${pointer}/url`,
      'archive-entry-unsafe',
      `archive ${path} ${facts.unsafe}`,
      'rebuild the archive with relative paths and only regular files and directories (e.g. `tar -czf ' +
        'x.tar.gz -C build .`)',
    );
  }
  return { path, oid: asset.oid, size: facts.size };
}

/** The digest of a `blob:sha256:<hex>` download URL (an archive in the registry's blob store). */
export function blobDigest(url: string): string | undefined {
  return /^blob:sha256:([0-9a-f]{64})$/.exec(url)?.[1];
}

async function inspectArchive(bytes: Uint8Array): Promise<ArchiveFacts> {
  const facts: ArchiveFacts = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
  // loaded with the first archive: node-tar (and zlib, streams) is most of what `wfctl registry index`
  // would load, and a registry whose downloads are URLs never needs it
  const { unsafeArchiveReason } = await import('./archive.ts');
  const unsafe = unsafeArchiveReason(bytes);
  return unsafe ? { ...facts, unsafe } : facts;
}

/**
 * Whole-registry rules over the assembled plugins: unique names, template references. Runs on every
 * sync over every plugin, so it allocates per plugin only for names that differ from the directory.
 */
export async function checkRegistry(
  plugins: ReadonlyMap<string, PluginEntry>,
  files: ReadonlyMap<string, ReadonlyMap<string, PluginFileRecord>>,
  templates: ReadonlyMap<string, TemplateRecord>,
  keys: ReadonlyMap<string, KeyRecord>,
  tree: RegistryTree,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  await checkSignatures(plugins, files, trustedKeys(keys.values()), tree, problems);
  // A plugin claims its id and its name; the first claimant in id order (plugins are sorted by id)
  // owns a key, later ones get "duplicate-name". Ids are unique, so a key can only be contested
  // through a name that differs from its plugin's id.
  const firstByName = new Map<string, string>();
  for (const entry of plugins.values()) {
    const name = entry.current.manifest.name;
    if (name !== entry.id && !firstByName.has(name)) firstByName.set(name, entry.id);
  }
  const taken = async (entry: PluginEntry, key: string, owner: string) => {
    const record = files.get(entry.id)!.get(entry.current.file) as ManifestFileRecord;
    problems.push(
      at(
        record.path,
        ...(await locateInFile(tree, record, '/name')),
        '/name',
        'duplicate-name',
        `plugin name "${key}" is already taken by plugins/${owner}/`,
        'every plugin needs a name of its own; rename this one (directory and "name")',
      ),
    );
  };
  if (firstByName.size > 0) {
    for (const entry of plugins.values()) {
      const byName = firstByName.get(entry.id);
      if (byName !== undefined && byName < entry.id) await taken(entry, entry.id, byName);
      const name = entry.current.manifest.name;
      if (name === entry.id) continue;
      const owner = plugins.has(name) && name < firstByName.get(name)! ? name : firstByName.get(name)!;
      if (owner !== entry.id) await taken(entry, name, owner);
    }
  }
  // A directory whose manifest is broken still "exists" for templates: its own error is the one to fix.
  const known = (ref: string) => plugins.has(ref) || firstByName.has(ref) || files.has(ref);
  for (const t of templates.values()) {
    for (const ref of t.references) {
      if (known(ref.name)) continue;
      const guess = closestMatch(ref.name, knownNames(plugins, files));
      problems.push(
        at(
          t.path,
          ref.line,
          ref.column,
          ref.jsonPointer,
          'template-plugin-reference',
          `template requires plugin "${ref.name}", which is not in the registry`,
          guess ? `did you mean "${guess}"?` : 'use a plugin directory name or manifest name from plugins/',
        ),
      );
    }
  }
  return problems;
}

/** Verdicts by everything they depend on: a sync re-checks every signature, but verifies each once. */
const verdictCache = new Map<string, SignatureVerdict>();

/**
 * Every signed download must carry a trusted key's valid signature. Runs over the whole registry on
 * each sync because a key change affects plugins whose files did not change; the cache makes an
 * unchanged signature cost one map lookup.
 */
async function checkSignatures(
  plugins: ReadonlyMap<string, PluginEntry>,
  files: ReadonlyMap<string, ReadonlyMap<string, PluginFileRecord>>,
  keys: ReadonlyMap<string, TrustedKey>,
  tree: RegistryTree,
  problems: Problem[],
): Promise<void> {
  for (const entry of plugins.values()) {
    for (const v of entry.versions) {
      for (const [i, a] of v.artifacts.entries()) {
        if (!a.signature) continue;
        const archive = { pluginId: entry.id, name: v.manifest.name, version: v.version, sha256: a.sha256 ?? '' };
        const key = keys.get(a.signature.keyId);
        const cacheKey = [
          a.signature.keyId,
          a.signature.sig,
          entry.id,
          archive.name,
          archive.version,
          archive.sha256,
          key?.publicKey,
          key?.plugins.join(','),
        ].join('\0');
        let verdict = verdictCache.get(cacheKey);
        if (!verdict) {
          verdict = a.sha256
            ? checkSignature(keys, archive, a.signature)
            : {
                ok: false,
                rule: 'signature-invalid',
                message: `downloads[${i}] of ${archive.name}@${archive.version} is signed but has no sha256 to verify`,
                hint: 'publish with `wfctl publish`, which records the sha256 it signs',
              };
          if (verdictCache.size > 100_000) verdictCache.clear();
          verdictCache.set(cacheKey, verdict);
        }
        if (verdict.ok) continue;
        const record = files.get(entry.id)!.get(v.file) as ManifestFileRecord;
        const pointer = `/downloads/${i}/signature`;
        problems.push(
          at(
            record.path,
            ...(await locateInFile(tree, record, pointer)),
            pointer,
            verdict.rule,
            verdict.message,
            verdict.hint,
          ),
        );
      }
    }
  }
}

/** Every id and name a template may reference, in claim order (the order suggestions are tried in). */
function knownNames(plugins: ReadonlyMap<string, PluginEntry>, files: ReadonlyMap<string, unknown>): string[] {
  const names = new Set<string>();
  for (const entry of plugins.values()) names.add(entry.id).add(entry.current.manifest.name);
  for (const id of files.keys()) names.add(id);
  return [...names];
}

const positionCache = new Map<string, [number, number]>();

/** Line/column of a pointer in a file that validated earlier; re-reads it (rare: only for problems). */
async function locateInFile(
  tree: RegistryTree,
  record: ManifestFileRecord,
  pointer: string,
): Promise<[number, number]> {
  const key = `${record.oid}\0${pointer}`;
  let pos = positionCache.get(key);
  if (!pos) {
    const { line, column } = parseJson(Buffer.from(await tree.read(record)).toString('utf8')).locate(pointer);
    pos = [line, column];
    if (positionCache.size > 10_000) positionCache.clear();
    positionCache.set(key, pos);
  }
  return pos;
}

function at(
  file: string,
  line: number,
  column: number,
  jsonPointer: string,
  rule: string,
  message: string,
  hint: string,
): Problem {
  return { file, line, column, jsonPointer, rule, message, hint, severity: 'error' };
}
