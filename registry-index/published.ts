// Published versions are immutable. The ledger remembers, for every name@version the registry has
// served, the artifacts (per os/arch: URL and sha256) it served. A later revision may change a version's
// descriptive fields, yank it, fill in a missing sha256 or add a platform; it may not re-point an
// artifact. Such a change is refused for that entry only: the old artifact keeps being served and the
// refusal is reported. Versions that leave the tree stay in the ledger (and stay downloadable by exact
// version), as the Go module proxy does.
import { archiveFileName } from './download-selection.ts';
import { parseJson } from './json-source.ts';
import type { Manifest } from './manifest.ts';
import type { Problem } from './problem.ts';
import type { Artifact, PluginEntry, RegistryIndex, VersionEntry } from './registry-index.ts';
import type { RegistryTree } from './tree.ts';

export interface PublishedVersion {
  id: string;
  version: string;
  artifacts: Artifact[];
  /** The descriptive manifest as last seen in the tree. */
  manifest: Manifest;
  /** Revision where this version first appeared, and when the registry first saw it. */
  firstRevision: string;
  publishedAt: string;
}

export interface Refusal {
  id: string;
  version: string;
  file: string;
  /** Revision where the change was first refused. */
  revision: string;
  problem: Problem;
  published: Artifact[];
  attempted: Artifact[];
}

/** Plugin id -> version -> value. Nested so a sync copies only the plugins it touched. */
export type ByPlugin<T> = ReadonlyMap<string, ReadonlyMap<string, T>>;

export interface PublishedState {
  ledger: ByPlugin<PublishedVersion>;
  /** Current refusals: the tree disagrees with the ledger for these versions. */
  refusals: ByPlugin<Refusal>;
}

export const emptyPublishedState: PublishedState = { ledger: new Map(), refusals: new Map() };

export function versionKey(id: string, version: string): string {
  return `${id}@${version}`;
}

export function allRefusals(state: PublishedState): Refusal[] {
  return [...state.refusals.values()].flatMap((m) => [...m.values()]);
}

/**
 * Record the versions of `index` in the ledger. `ids` limits the work to plugins that changed
 * (incremental sync); without it every plugin is checked.
 */
export async function publishIndex(
  state: PublishedState,
  index: RegistryIndex,
  tree: RegistryTree,
  ids?: Iterable<string>,
  now = new Date(),
): Promise<PublishedState> {
  const ledger = new Map(state.ledger);
  const refusals = new Map(state.refusals);
  for (const id of ids ?? index.plugins.keys()) {
    refusals.delete(id);
    const entry = index.plugins.get(id);
    if (!entry) continue;
    const before = state.ledger.get(id);
    const versions = new Map(before ?? []);
    const refused = new Map<string, Refusal>();
    for (const v of entry.versions) {
      const published = versions.get(v.version);
      if (!published) {
        versions.set(v.version, {
          id,
          version: v.version,
          artifacts: v.artifacts,
          manifest: v.manifest,
          firstRevision: index.revision,
          publishedAt: now.toISOString(),
        });
        continue;
      }
      const verdict = compareArtifacts(published.artifacts, v.artifacts);
      if (verdict.changed.length === 0) {
        if (published.manifest !== v.manifest || verdict.merged.some((a, i) => a !== published.artifacts[i]))
          versions.set(v.version, { ...published, artifacts: verdict.merged, manifest: v.manifest });
        continue;
      }
      const previous = state.refusals.get(id)?.get(v.version);
      refused.set(v.version, {
        id,
        version: v.version,
        file: v.file,
        revision: previous?.revision ?? index.revision,
        problem: await immutabilityProblem(tree, index, v, verdict.changed),
        published: published.artifacts,
        attempted: v.artifacts,
      });
      // Descriptive fields may still change; the artifacts stay as published.
      if (published.manifest !== v.manifest) versions.set(v.version, { ...published, manifest: v.manifest });
    }
    ledger.set(id, versions);
    if (refused.size > 0) refusals.set(id, refused);
  }
  return { ledger, refusals };
}

interface ArtifactVerdict {
  /** Platforms whose URL or sha256 differs, or that disappeared. */
  changed: Array<{ platform: string; was: Artifact; now?: Artifact }>;
  /** Published artifacts plus newly added platforms and newly filled-in sha256 values. */
  merged: Artifact[];
}

function compareArtifacts(published: Artifact[], attempted: Artifact[]): ArtifactVerdict {
  const key = artifactKeyer(published);
  const now = new Map(attempted.map((a) => [key(a), a]));
  const changed: ArtifactVerdict['changed'] = [];
  const merged: Artifact[] = [];
  for (const was of published) {
    const k = key(was);
    const a = now.get(k);
    now.delete(k);
    if (!a || a.url !== was.url || (was.sha256 !== undefined && a.sha256 !== was.sha256)) {
      changed.push({ platform: k, was, now: a });
      merged.push(was);
    } else merged.push(a.sha256 !== undefined ? a : was);
  }
  merged.push(...now.values());
  return { changed, merged };
}

/**
 * Artifacts are matched by os/arch; where a release has several binaries per platform (engine
 * releases do), by os/arch plus file name.
 */
function artifactKeyer(published: Artifact[]): (a: Artifact) => string {
  const count = new Map<string, number>();
  for (const a of published) count.set(`${a.os}/${a.arch}`, (count.get(`${a.os}/${a.arch}`) ?? 0) + 1);
  return (a) => {
    const platform = `${a.os}/${a.arch}`;
    return (count.get(platform) ?? 0) > 1 ? `${platform} ${archiveFileName(a.url)}` : platform;
  };
}

async function immutabilityProblem(
  tree: RegistryTree,
  index: RegistryIndex,
  v: VersionEntry,
  changed: ArtifactVerdict['changed'],
): Promise<Problem> {
  const first = changed[0]!;
  const i = (v.manifest.downloads ?? []).findIndex(
    (d) => first.platform.startsWith(`${d.os}/${d.arch}`) && (first.now === undefined || d.url === first.now.url),
  );
  const pointer = i >= 0 ? `/downloads/${i}` : '/downloads';
  const what = changed
    .map((c) =>
      c.now ? `${c.platform} ${c.now.url !== c.was.url ? 'URL' : 'sha256'} changed` : `${c.platform} removed`,
    )
    .join(', ');
  let line = 1;
  let column = 1;
  const record = index.files.get(v.file.split('/')[1]!)?.get(v.file);
  if (record) ({ line, column } = parseJson(Buffer.from(await tree.read(record)).toString('utf8')).locate(pointer));
  return {
    file: v.file,
    line,
    column,
    jsonPointer: pointer,
    rule: 'immutable-version',
    severity: 'error',
    message:
      `version ${v.version} is already published and its artifacts cannot change (${what}); the ` +
      `published artifact is still served`,
    hint:
      `publish the new archive as a new version (e.g. bump to the next patch), or restore the published ` +
      `${first.was.url}${first.was.sha256 ? ` (sha256 ${first.was.sha256})` : ''}`,
  };
}

/**
 * A plugin as served: the indexed entry, with the published artifacts restored for refused versions.
 * Returns the same object when nothing is refused.
 */
export function servedEntry(entry: PluginEntry, state: PublishedState): PluginEntry {
  const refused = state.refusals.get(entry.id);
  if (!refused) return entry;
  const restore = (v: VersionEntry): VersionEntry => {
    if (!refused.has(v.version)) return v;
    const artifacts = state.ledger.get(entry.id)!.get(v.version)!.artifacts;
    const downloads = artifacts.map((a) => ({
      os: a.os,
      arch: a.arch,
      url: a.url,
      ...(a.sha256 ? { sha256: a.sha256 } : {}),
    })) as Manifest['downloads'];
    // Platforms added by the refused change stay out too: the version is served exactly as published.
    return { ...v, artifacts, manifest: { ...v.manifest, downloads } };
  };
  const versions = entry.versions.map(restore);
  return { ...entry, versions, current: versions.find((v) => v.version === entry.current.version)! };
}
