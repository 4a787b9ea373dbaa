// Which archive a client installs for a platform. Most manifests have one download per os/arch; some
// releases ship several binaries per platform (the engine, wfctl, a migration tool), and then the
// plugin's own archive is the one whose file name starts with the plugin's name. The validator's
// download-platform-unique rule and the client use this same function, so "valid" means "installable".
// An archive for os/arch "any" is chosen when the platform has none of its own.
import type { Download, Manifest } from './manifest.ts';

export type DownloadChoice =
  | { ok: true; download: Download; index: number }
  | { ok: false; reason: 'none' | 'ambiguous'; candidates: Download[] };

export function selectDownload(
  manifest: Pick<Manifest, 'name' | 'downloads'>,
  pluginId: string,
  os: string,
  arch: string,
): DownloadChoice {
  const all = (manifest.downloads ?? []).map((download, index) => ({ download, index }));
  let indexed = all.filter((c) => c.download.os === os && c.download.arch === arch);
  // A platform-independent archive (a JavaScript plugin) serves every platform without its own.
  if (indexed.length === 0) indexed = all.filter((c) => c.download.os === 'any' && c.download.arch === 'any');
  if (indexed.length === 0) return { ok: false, reason: 'none', candidates: [] };
  if (indexed.length === 1) return { ok: true, ...indexed[0]! };
  const prefixes = [`${manifest.name}-`, `${manifest.name}_`, `${pluginId}-`, `${pluginId}_`];
  const own = indexed.filter((c) => prefixes.some((p) => archiveFileName(c.download.url).startsWith(p)));
  // Several prefixes can match one name (name === id); what matters is a single archive.
  if (own.length === 1) return { ok: true, ...own[0]! };
  return { ok: false, reason: 'ambiguous', candidates: indexed.map((c) => c.download) };
}

export function archiveFileName(url: string): string {
  const path = url.replace(/[?#].*$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}
