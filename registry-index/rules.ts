// Registry rules a JSON Schema cannot express, applied to one manifest that already passed the schema.
// They follow the upstream registry's CI (UPSTREAM.md 5.4) and krew's validator: name matches the
// directory, real semver, sha256 format, one archive per os/arch, release URLs carry the version,
// no scaffold or placeholder names, archives stored in the repo stay inside the plugin directory.
import semver from 'semver';
import { escapePointerToken, type JsonDocument } from './json-source.ts';
import { selectDownload } from './download-selection.ts';
import type { Manifest } from './manifest.ts';
import type { Problem, Severity } from './problem.ts';

/** Directory names are registry ids: they end up in URLs and file paths, so keep them boring. */
export const pluginIdPattern = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** Manifest names, as the upstream engine checks them. */
const pluginNamePattern = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;
const sha256Pattern = /^[0-9a-f]{64}$/;

/**
 * Directories whose manifest name predates the "name = directory" rule upstream (UPSTREAM.md 5.1).
 * New plugins must use the directory name or `workflow-plugin-<directory>`.
 */
export const legacyNameAliases: Readonly<Record<string, string>> = {
  featureflags: 'feature-flags',
  integration: 'integration-plugin',
  k8s: 'kubernetes-deploy',
  modularcompat: 'modular-compat',
  pipelinesteps: 'pipeline-steps',
  scheduler: 'scheduler-plugin',
};

const scaffold = {
  name: 'scaffold-workflow-plugin',
  source: 'github.com/GoCodeAlone/scaffold-workflow-plugin',
  repository: 'https://github.com/GoCodeAlone/scaffold-workflow-plugin',
};

const placeholderPattern = /^TEMPLATE\.|\.TEMPLATE\.|\.placeholder$|^placeholder\./;
const capabilityListsCheckedForPlaceholders = [
  'moduleTypes',
  'stepTypes',
  'triggerTypes',
  'workflowHandlers',
  'resourceTypes',
] as const;

/**
 * Rules that block a commit (CLI, pre-receive, PR check and sync all refuse errors from them) but do
 * not stop the manifest from being indexed: the manifest is well-formed and servable, it just breaks
 * registry policy. Keeping the index independent of policy makes it a function of the data alone,
 * so policy can tighten (as upstream's did) without changing what was published.
 */
export const policyRules: ReadonlySet<string> = new Set([
  'category-required',
  'no-scaffold',
  'no-legacy-flags-passthrough',
  'no-placeholder-capability',
  'download-url-version',
  'download-platform-unique',
  'name-matches-directory',
  'required-config-not-sensitive',
  'dependency-range',
  'signature-missing',
]);

export interface ManifestContext {
  /** Path in the repository, e.g. plugins/http/manifest.json. */
  file: string;
  /** The plugin directory name: the registry id. */
  pluginId: string;
  /** For plugins/<id>/versions/<v>.json: the version the file name promises. */
  fileVersion?: string;
}

/** Every per-manifest rule. `doc` locates values; `m` is the same value, typed. */
export function manifestRuleProblems(ctx: ManifestContext, doc: JsonDocument, m: Manifest): Problem[] {
  const out: Problem[] = [];
  const report = (
    pointer: string,
    rule: string,
    message: string,
    hint: string,
    severity: Severity = 'error',
    key = false,
  ) =>
    out.push({ file: ctx.file, ...doc.locate(pointer, { key }), jsonPointer: pointer, rule, message, hint, severity });

  checkName(ctx, m, report);
  checkVersions(ctx, m, report);
  checkEntry(m, report);
  checkDownloads(ctx, m, report);

  if (m.name === scaffold.name || m.source === scaffold.source || m.repository === scaffold.repository) {
    const pointer = m.name === scaffold.name ? '/name' : m.source === scaffold.source ? '/source' : '/repository';
    report(
      pointer,
      'no-scaffold',
      'this is the unmodified plugin scaffold, which must not be published',
      'set your own name, source and repository',
    );
  }
  // The walk is only worth doing when the key occurs in the text at all.
  for (const pointer of doc.text.includes('"flags_passthrough"') ? findKeys(doc.value, 'flags_passthrough') : []) {
    report(
      pointer,
      'no-legacy-flags-passthrough',
      'the legacy key "flags_passthrough" is not accepted',
      'use capabilities.cliCommands[].flagsPassthrough instead',
      'error',
      true,
    );
  }
  for (const list of capabilityListsCheckedForPlaceholders) {
    (m.capabilities?.[list] ?? []).forEach((name, i) => {
      if (placeholderPattern.test(name)) {
        report(
          `/capabilities/${list}/${i}`,
          'no-placeholder-capability',
          `"${name}" is a placeholder capability name left from the template`,
          'replace it with the real type name the plugin registers, or remove it',
        );
      }
    });
  }
  if (!m.category) {
    report(
      '',
      'category-required',
      'the manifest has no "category"',
      'add "category", e.g. "integrations"; see schema/plugin-manifest.schema.json for the list',
    );
  }
  (m.required_config ?? []).forEach((c, i) => {
    if (c.sensitive === true) {
      report(
        `/required_config/${i}/sensitive`,
        'required-config-not-sensitive',
        `required_config "${c.name}" is marked sensitive`,
        'move it to required_secrets; required_config is for non-secret values',
        'warning',
      );
    }
  });
  for (const [version, sum] of Object.entries(m.checksums ?? {})) {
    if (!sha256Pattern.test(sum)) {
      report(
        `/checksums/${escapePointerToken(version)}`,
        'sha256-format',
        `checksum for ${version} is "${abbreviate(sum)}", not a SHA-256`,
        'use the 64 lower-case hex digits printed by `sha256sum`',
      );
    }
  }
  return out;
}

type Report = (
  pointer: string,
  rule: string,
  message: string,
  hint: string,
  severity?: Severity,
  key?: boolean,
) => void;

function checkName(ctx: ManifestContext, m: Manifest, report: Report): void {
  if (!pluginNamePattern.test(m.name)) {
    report(
      '/name',
      'name-format',
      `name "${m.name}" must be lower-case letters, digits and dashes, starting with a letter`,
      `try "${m.name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^[^a-z]+|-+$/g, '')}"`,
    );
    return;
  }
  const id = ctx.pluginId;
  if (m.name === id || m.name === `workflow-plugin-${id}` || legacyNameAliases[id] === m.name) return;
  report(
    '/name',
    'name-matches-directory',
    `name "${m.name}" does not match its directory plugins/${id}/`,
    `set "name" to "${id}" (or "workflow-plugin-${id}"), or move the file to ` +
      `plugins/${m.name.replace(/^workflow-plugin-/, '')}/`,
  );
}

function checkVersions(ctx: ManifestContext, m: Manifest, report: Report): void {
  if (!semver.valid(m.version)) {
    report(
      '/version',
      'semver',
      `version "${m.version}" is not a valid semantic version`,
      'use MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.4.0 or 2.0.0-rc.1',
    );
  } else if (m.version.startsWith('v')) {
    report(
      '/version',
      'semver',
      `version "${m.version}" has a leading "v"`,
      `write "${m.version.slice(1)}"; the "v" belongs to the git tag only`,
    );
  }
  if (ctx.fileVersion !== undefined && ctx.fileVersion !== m.version) {
    report(
      '/version',
      'version-file-name',
      `${ctx.file} declares version "${m.version}" but its file name says ${ctx.fileVersion}`,
      `rename the file to versions/${m.version}.json or fix "version"`,
    );
  }
  if (m.minEngineVersion !== undefined && !semver.valid(m.minEngineVersion.replace(/^v/, ''))) {
    report(
      '/minEngineVersion',
      'semver',
      `minEngineVersion "${m.minEngineVersion}" is not a valid semantic version`,
      'use MAJOR.MINOR.PATCH, e.g. 0.2.0',
    );
  }
  (m.dependencies ?? []).forEach((d, i) => {
    for (const bound of ['minVersion', 'maxVersion'] as const) {
      const v = d[bound];
      if (v !== undefined && !semver.valid(v))
        report(
          `/dependencies/${i}/${bound}`,
          'semver',
          `${bound} "${v}" of dependency "${d.name}" is not a valid semantic version`,
          'use MAJOR.MINOR.PATCH',
        );
    }
    if (
      d.minVersion &&
      d.maxVersion &&
      semver.valid(d.minVersion) &&
      semver.valid(d.maxVersion) &&
      semver.gt(d.minVersion, d.maxVersion)
    ) {
      report(
        `/dependencies/${i}`,
        'dependency-range',
        `dependency "${d.name}" has minVersion ${d.minVersion} above maxVersion ${d.maxVersion}`,
        'swap or fix the bounds',
      );
    }
  });
}

/** The plugin format's fields (this registry's extension): an API range and an entry inside the archive. */
function checkEntry(m: Manifest, report: Report): void {
  if (m.engineApi !== undefined && semver.validRange(m.engineApi) === null) {
    report(
      '/engineApi',
      'engine-api-range',
      `engineApi "${m.engineApi}" is not a version range`,
      'state the engine plugin API the entry was written against, e.g. "^1.0"',
    );
  }
  if (m.main !== undefined) {
    const problem = storedArchivePathProblem(m.main);
    if (problem)
      report('/main', 'entry-path', `main "${m.main}" ${problem}`, 'name a file inside the archive, e.g. "index.js"');
  }
}

function checkDownloads(ctx: ManifestContext, m: Manifest, report: Report): void {
  // Builtin plugins ship inside the engine; their downloads list the engine's own release binaries,
  // several per platform, and nothing installs them as a plugin.
  if (m.type !== 'builtin') {
    const perPlatform = new Map<string, number>();
    for (const d of m.downloads ?? [])
      perPlatform.set(`${d.os}/${d.arch}`, (perPlatform.get(`${d.os}/${d.arch}`) ?? 0) + 1);
    for (const [platform, count] of perPlatform) {
      if (count === 1) continue;
      const [os, arch] = platform.split('/') as [string, string];
      const choice = selectDownload(m, ctx.pluginId, os, arch);
      if (choice.ok) continue;
      const indexes = (m.downloads ?? []).flatMap((d, i) => (d.os === os && d.arch === arch ? [i] : []));
      report(
        `/downloads/${indexes[1]}`,
        'download-platform-unique',
        `downloads ${indexes.map((i) => `[${i}]`).join(', ')} are all for ${platform}, so a client cannot ` +
          `tell which one to install`,
        `keep one archive per os/arch, or name the plugin's own archive "${m.name}-${os}-${arch}.tar.gz"`,
      );
    }
  }
  (m.downloads ?? []).forEach((d, i) => {
    const at = `/downloads/${i}`;
    if ((d.os === 'any') !== (d.arch === 'any')) {
      report(
        at,
        'download-platform-any',
        `downloads[${i}] is for ${d.os}/${d.arch}: "any" stands for a platform-independent archive, so it ` +
          `applies to both`,
        'use os "any" with arch "any", or a real os/arch pair',
      );
    }
    if (d.sha256 === undefined) {
      report(
        at,
        'sha256-missing',
        `downloads[${i}] (${d.os}/${d.arch}) has no sha256`,
        'add "sha256" (hex SHA-256 of the archive) so clients can verify what they install',
        'warning',
      );
    } else if (!sha256Pattern.test(d.sha256)) {
      const fix = /^[0-9A-F]{64}$/.test(d.sha256)
        ? 'write it in lower case'
        : 'use the 64 lower-case hex digits printed by `sha256sum <archive>`';
      report(
        `${at}/sha256`,
        'sha256-format',
        `sha256 "${abbreviate(d.sha256)}" of downloads[${i}] is not 64 lower-case hex digits`,
        fix,
      );
    }
    checkDownloadUrl(ctx, m, d.url, d.sha256, `${at}/url`, report);
    // Only `wfctl publish` puts archives in the blob store, and it always signs them: an unsigned blob
    // download is a hand-edited or stripped manifest, and installers would refuse it anyway. (External
    // https downloads may be unsigned: upstream's manifests carry no signatures.)
    if (/^blob:/i.test(d.url) && !d.signature)
      report(
        at,
        'signature-missing',
        `downloads[${i}] of ${m.name}@${m.version} is an archive in the registry's blob store but carries no ` +
          'publisher signature',
        'publish with `wfctl publish`, which signs with your key (`wfctl keys generate`; the registry trusts the ' +
          'keys in keys/)',
      );
  });
}

function checkDownloadUrl(
  ctx: ManifestContext,
  m: Manifest,
  url: string,
  sha256: string | undefined,
  pointer: string,
  report: Report,
): void {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'blob') {
    const digest = /^blob:sha256:([0-9a-f]{64})$/.exec(url)?.[1];
    if (!digest)
      report(
        pointer,
        'download-url',
        `download URL "${url}" is not a blob reference`,
        'write "blob:sha256:<64 hex digits>"',
      );
    else if (sha256 !== undefined && digest !== sha256)
      report(
        pointer,
        'download-blob-digest',
        `download URL names blob sha256:${digest.slice(0, 12)}... but "sha256" is ${sha256.slice(0, 12)}...`,
        'a blob is named by its own sha256: publish again with `wfctl publish`',
      );
    return;
  }
  if (scheme === undefined) {
    const problem = storedArchivePathProblem(url);
    if (problem)
      report(
        pointer,
        'download-path-traversal',
        `download path "${url}" ${problem}`,
        `use a path inside plugins/${ctx.pluginId}/, e.g. "dist/${ctx.pluginId}-linux-amd64.tar.gz"`,
      );
    return;
  }
  // The common, well-formed case without the cost of a full URL parse.
  const simple = /^https?:\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(?::\d+)?(\/[^?#\s]*)?(?:[?#]\S*)?$/i.exec(url);
  let parsed: { hostname: string; pathname: string };
  if (simple) parsed = { hostname: simple[1]!.toLowerCase(), pathname: simple[2] ?? '/' };
  else {
    try {
      parsed = new URL(url);
    } catch {
      report(pointer, 'download-url', `download URL "${url}" cannot be parsed`, 'use a full https:// URL');
      return;
    }
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (scheme !== 'https' && !(scheme === 'http' && loopback)) {
    report(pointer, 'download-url', `download URL "${url}" uses ${scheme}:`, 'serve release archives over https://');
    return;
  }
  const release = /\/releases\/download\/([^/]+)\//.exec(parsed.pathname);
  if (release && release[1] !== `v${m.version}`) {
    report(
      pointer,
      'download-url-version',
      `download URL is for release ${decodeURIComponent(release[1]!)} but the manifest version is ${m.version}`,
      `point it at /releases/download/v${m.version}/ or fix "version"`,
    );
  }
}

/** Why a stored-archive path would leave the plugin directory, or undefined when it is safe. */
function storedArchivePathProblem(path: string): string | undefined {
  if (path.startsWith('/') || path.includes('\\')) return 'must be relative, with forward slashes';
  const segments = path.split('/');
  if (segments.some((s) => s === '..')) return 'leaves the plugin directory ("..")';
  if (segments.some((s) => s === '' || s === '.')) return 'has empty or "." segments';
  if (segments.some((s) => s.startsWith('.'))) return 'names a hidden file';
  if (/[\u0000-\u001f]/.test(path)) return 'contains control characters';
  return undefined;
}

function* findKeys(value: unknown, key: string, pointer = ''): Generator<string> {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* findKeys(value[i], key, `${pointer}/${i}`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const child = `${pointer}/${escapePointerToken(k)}`;
    if (k === key) yield child;
    yield* findKeys(v, key, child);
  }
}

function abbreviate(s: string): string {
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}
