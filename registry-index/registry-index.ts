// The index of one registry revision: a pure function of the tree at that revision.
//
//   plugins/<id>/manifest.json        the plugin's current version (upstream layout)
//   plugins/<id>/versions/<v>.json    earlier versions kept resolvable (optional, this registry's addition)
//   plugins/<id>/<path>               archives a manifest references by relative URL (stored in the repo)
//   templates/*.yaml                  app templates and the plugins they require
//   keys/<keyId>.json                 trusted publisher keys (trusted-keys.ts)
//
// `buildIndex` reads a whole tree. `updateIndex` takes the previous index and the changed paths
// between two revisions and reads only those paths, reusing every unchanged file's result, so a
// one-manifest commit costs one file read no matter how large the registry is. Both produce the same
// value for the same tree (a replay test checks this on the upstream history).
import type { Manifest } from './manifest.ts';
import { compareProblems, type Problem } from './problem.ts';
import { checkRegistry, checkPlugin } from './registry-rules.ts';
import type { IndexSummary } from './summary.ts';
import type { ParsedTemplate } from './templates.ts';
import { parseTemplate } from './templates.ts';
import { gitBlobOid, type RegistryTree, type TreeChange, type TreeEntry } from './tree.ts';
import { validateManifestBytes } from './validate-manifest.ts';
import { pluginIdPattern } from './rules.ts';
import type { DownloadSignature } from './manifest.ts';
import { parseKeyFile, type KeyRecord } from './trusted-keys.ts';

export interface ManifestFileRecord {
  kind: 'manifest' | 'version';
  path: string;
  oid: string;
  /** Present when the file has no errors. */
  manifest?: Manifest;
  problems: Problem[];
}

export interface AssetFileRecord {
  kind: 'asset';
  path: string;
  oid: string;
}

export type PluginFileRecord = ManifestFileRecord | AssetFileRecord;

export interface TemplateRecord extends ParsedTemplate {
  path: string;
  oid: string;
}

export interface Artifact {
  os: string;
  arch: string;
  url: string;
  sha256?: string;
  /** Set when the archive is stored in the registry repository (relative URL). */
  stored?: { path: string; oid: string; size: number };
  /** Set when the archive is in the registry's content-addressed blob store (`blob:sha256:<hex>`). */
  blob?: string;
  signature?: DownloadSignature;
}

export interface VersionEntry {
  version: string;
  /** The file that declares it. */
  file: string;
  manifest: Manifest;
  artifacts: Artifact[];
  yanked?: { reason: string };
}

export interface PluginEntry {
  /** Directory name: the registry id used in every URL. */
  id: string;
  current: VersionEntry;
  /** Every version in the tree, newest first. */
  versions: VersionEntry[];
  summary: IndexSummary;
}

export interface RegistryIndex {
  revision: string;
  /** Files under plugins/<id>/, grouped by id. */
  files: ReadonlyMap<string, ReadonlyMap<string, PluginFileRecord>>;
  templates: ReadonlyMap<string, TemplateRecord>;
  /** Trusted publisher key files by path. */
  keys: ReadonlyMap<string, KeyRecord>;
  plugins: ReadonlyMap<string, PluginEntry>;
  /** Problems of each plugin directory: its files' own, and those found assembling them. Non-empty only. */
  pluginProblems: ReadonlyMap<string, Problem[]>;
  /** Every problem at this revision, sorted: file, plugin and whole-registry ones. */
  problems: Problem[];
}

/** What the builder needs besides the tree: caches that are valid across revisions. */
export interface BuildContext {
  tree: RegistryTree;
  /** sha256/size/safety of stored archives by blob id: archives are immutable blobs. */
  archiveFacts?: Map<string, ArchiveFacts>;
}

export interface ArchiveFacts {
  sha256: string;
  size: number;
  /** First reason the archive must not be installed, if any. */
  unsafe?: string;
}

export async function buildIndex(tree: RegistryTree, ctx: Omit<BuildContext, 'tree'> = {}): Promise<RegistryIndex> {
  const listing = await tree.list();
  const files = new Map<string, Map<string, PluginFileRecord>>();
  const templates = new Map<string, TemplateRecord>();
  const keys = new Map<string, KeyRecord>();
  await forEachLimited(listing, 32, async (entry) => {
    const place = classify(entry.path);
    if (place.kind === 'ignored') return;
    if (place.kind === 'template') {
      templates.set(entry.path, await readTemplate(tree, entry));
      return;
    }
    if (place.kind === 'key') {
      keys.set(entry.path, await readKey(tree, entry));
      return;
    }
    let group = files.get(place.pluginId);
    if (!group) files.set(place.pluginId, (group = new Map()));
    group.set(
      entry.path,
      place.kind === 'asset'
        ? { kind: 'asset', path: entry.path, oid: entry.oid }
        : await readManifest(tree, entry, place),
    );
  });
  return assemble(tree.revision, sortGroups(files), templates, keys, new Map(), new Map(), new Set(files.keys()), {
    tree,
    ...ctx,
  });
}

/** The index of the revision `tree`, given the index of an earlier revision and the paths that changed. */
export async function updateIndex(
  prev: RegistryIndex,
  tree: RegistryTree,
  changes: readonly TreeChange[],
  ctx: Omit<BuildContext, 'tree'> = {},
): Promise<RegistryIndex> {
  const files = new Map(prev.files);
  const templates = new Map(prev.templates);
  const keys = new Map(prev.keys);
  const touched = new Set<string>();
  const copied = new Set<string>();
  await forEachLimited(changes, 32, async (change) => {
    const place = classify(change.path);
    if (place.kind === 'ignored') return;
    if (place.kind === 'template') {
      if (change.after === undefined) templates.delete(change.path);
      else templates.set(change.path, await readTemplate(tree, { path: change.path, oid: change.after }));
      return;
    }
    if (place.kind === 'key') {
      if (change.after === undefined) keys.delete(change.path);
      else keys.set(change.path, await readKey(tree, { path: change.path, oid: change.after }));
      return;
    }
    touched.add(place.pluginId);
    if (!copied.has(place.pluginId)) {
      copied.add(place.pluginId);
      files.set(place.pluginId, new Map(files.get(place.pluginId) ?? []));
    }
    const record =
      change.after === undefined
        ? undefined
        : place.kind === 'asset'
          ? ({ kind: 'asset', path: change.path, oid: change.after } as const)
          : await readManifest(tree, { path: change.path, oid: change.after }, place);
    const group = files.get(place.pluginId) as Map<string, PluginFileRecord>;
    if (record) group.set(change.path, record);
    else group.delete(change.path);
  });
  for (const id of touched) {
    const group = files.get(id)!;
    if (group.size === 0) files.delete(id);
    else files.set(id, new Map([...group].sort(([a], [b]) => (a < b ? -1 : 1))));
  }
  return assemble(tree.revision, files, templates, keys, new Map(prev.plugins), new Map(prev.pluginProblems), touched, {
    tree,
    ...ctx,
  });
}

/**
 * Rebuild an index from stored file records (a restart): no manifest is read or parsed again; only
 * stored archives whose facts are not cached are read from the tree.
 */
export async function restoreIndex(
  tree: RegistryTree,
  files: Map<string, Map<string, PluginFileRecord>>,
  templates: Map<string, TemplateRecord>,
  keys: Map<string, KeyRecord>,
  ctx: Omit<BuildContext, 'tree'> = {},
): Promise<RegistryIndex> {
  return assemble(tree.revision, sortGroups(files), templates, keys, new Map(), new Map(), new Set(files.keys()), {
    tree,
    ...ctx,
  });
}

type Place =
  | { kind: 'manifest'; pluginId: string }
  | { kind: 'version'; pluginId: string; fileVersion: string }
  | { kind: 'asset'; pluginId: string }
  | { kind: 'template' }
  | { kind: 'key' }
  | { kind: 'ignored' };

/** Where a repository path belongs in the index. */
export function classify(path: string): Place {
  const parts = path.split('/');
  if (parts[0] === 'templates')
    return parts.length === 2 && /\.ya?ml$/.test(parts[1]!) ? { kind: 'template' } : { kind: 'ignored' };
  if (parts[0] === 'keys') return parts.length >= 2 ? { kind: 'key' } : { kind: 'ignored' };
  if (parts[0] !== 'plugins' || parts.length < 3) return { kind: 'ignored' };
  const pluginId = parts[1]!;
  if (parts.length === 3 && parts[2] === 'manifest.json') return { kind: 'manifest', pluginId };
  if (parts.length === 4 && parts[2] === 'versions' && parts[3]!.endsWith('.json'))
    return { kind: 'version', pluginId, fileVersion: parts[3]!.slice(0, -5) };
  return { kind: 'asset', pluginId };
}

async function readManifest(
  tree: RegistryTree,
  entry: TreeEntry,
  place: { kind: 'manifest' | 'version'; pluginId: string; fileVersion?: string },
): Promise<ManifestFileRecord> {
  if (!pluginIdPattern.test(place.pluginId)) {
    return {
      kind: place.kind,
      path: entry.path,
      oid: entry.oid,
      problems: [
        {
          file: entry.path,
          line: 1,
          column: 1,
          jsonPointer: '',
          rule: 'plugin-id',
          severity: 'error',
          message:
            `directory name "${place.pluginId}" is not a valid plugin id (it becomes part of URLs and ` +
            `install paths)`,
          hint: 'use lower-case letters, digits and dashes, at most 64 characters, e.g. plugins/my-plugin/',
        },
      ],
    };
  }
  const bytes = await tree.read(entry);
  const oid = entry.oid || gitBlobOid(bytes);
  const result = validateManifestBytes(
    {
      file: entry.path,
      pluginId: place.pluginId,
      fileVersion: place.kind === 'version' ? place.fileVersion : undefined,
    },
    bytes,
  );
  return { kind: place.kind, path: entry.path, oid, manifest: result.manifest, problems: result.problems };
}

async function readTemplate(tree: RegistryTree, entry: TreeEntry): Promise<TemplateRecord> {
  const bytes = await tree.read(entry);
  return { path: entry.path, oid: entry.oid || gitBlobOid(bytes), ...parseTemplate(entry.path, bytes) };
}

async function readKey(tree: RegistryTree, entry: TreeEntry): Promise<KeyRecord> {
  const bytes = await tree.read(entry);
  return parseKeyFile(entry.path, entry.oid || gitBlobOid(bytes), bytes);
}

async function assemble(
  revision: string,
  files: Map<string, ReadonlyMap<string, PluginFileRecord>>,
  templates: Map<string, TemplateRecord>,
  keys: Map<string, KeyRecord>,
  plugins: Map<string, PluginEntry>,
  pluginProblems: Map<string, Problem[]>,
  touched: ReadonlySet<string>,
  ctx: BuildContext,
): Promise<RegistryIndex> {
  const archiveFacts = ctx.archiveFacts ?? new Map();
  let membershipChanged = false;
  await forEachLimited([...touched], 16, async (id) => {
    const group = files.get(id);
    const result = group ? await checkPlugin(id, group, { ...ctx, archiveFacts }) : { problems: [] };
    const had = plugins.has(id);
    if (result.entry) plugins.set(id, result.entry);
    else plugins.delete(id);
    if (had !== plugins.has(id)) membershipChanged = true;
    const problems: Problem[] = [];
    for (const r of group?.values() ?? []) if (r.kind !== 'asset') problems.push(...r.problems);
    problems.push(...result.problems);
    if (problems.length > 0) pluginProblems.set(id, problems);
    else pluginProblems.delete(id);
  });
  // Map order is insertion order: re-sort only when plugins came or went.
  const sortedPlugins = membershipChanged ? new Map([...plugins].sort(([a], [b]) => (a < b ? -1 : 1))) : plugins;
  const sortedTemplates = new Map([...templates].sort(([a], [b]) => (a < b ? -1 : 1)));
  const sortedKeys = new Map([...keys].sort(([a], [b]) => (a < b ? -1 : 1)));
  const registryProblems = await checkRegistry(sortedPlugins, files, sortedTemplates, sortedKeys, ctx.tree);
  const problems: Problem[] = [];
  for (const list of pluginProblems.values()) problems.push(...list);
  for (const t of sortedTemplates.values()) problems.push(...t.problems);
  for (const k of sortedKeys.values()) problems.push(...k.problems);
  problems.push(...registryProblems);
  problems.sort(compareProblems);
  return {
    revision,
    files,
    templates: sortedTemplates,
    keys: sortedKeys,
    plugins: sortedPlugins,
    pluginProblems,
    problems,
  };
}

function sortGroups(
  files: Map<string, Map<string, PluginFileRecord>>,
): Map<string, ReadonlyMap<string, PluginFileRecord>> {
  const out = new Map<string, ReadonlyMap<string, PluginFileRecord>>();
  for (const id of [...files.keys()].sort())
    out.set(id, new Map([...files.get(id)!].sort(([a], [b]) => (a < b ? -1 : 1))));
  return out;
}

/** Run `fn` over items with at most `limit` in flight: tree reads and file writes are I/O, not CPU. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
