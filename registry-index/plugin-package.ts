// A plugin project -> the archive `wfctl publish` uploads: validated, built, packed deterministically.
//
//   manifest.json   the project's manifest with "main": "index.js" and no downloads (those are the
//                   registry's business), as the engine reads it after installation
//   index.js        the entry bundled by esbuild (engine/plugin-build.ts): one ESM file
//   README.md, LICENSE*, assets/**   when the project has them
//
// Validation is the registry's own rules on the manifest plus loading the built entry in-process, so a
// manifest that lists types the entry does not register (or the reverse) is refused before anything
// leaves the machine. The archive is a pure function of those files (archive.ts writes
// deterministically), so packing the same project twice gives the same sha256.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildPluginProject, loadBuiltPlugin } from '../engine/index.ts';
import { writeTarGz } from './archive.ts';
import type { Manifest } from './manifest.ts';
import { isError, type Problem } from './problem.ts';
import { validateManifestBytes } from './validate-manifest.ts';

export interface PackedPlugin {
  /** The manifest as packaged (main: index.js, no downloads). */
  manifest: Manifest;
  /** Registry id: the name without a `workflow-plugin-` prefix. */
  id: string;
  bytes: Buffer;
  sha256: string;
  files: string[];
}

export class PackError extends Error {
  constructor(
    message: string,
    readonly problems: Problem[] = [],
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'PackError';
  }
}

export function isPluginProject(dir: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Partial<Manifest>;
    return typeof m.engineApi === 'string';
  } catch {
    return false;
  }
}

export function registryIdOf(name: string): string {
  return name.replace(/^workflow-plugin-/, '');
}

/** Extra files a project may ship beside the entry. */
function extraFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (/^(README\.md|LICENSE(\..+)?|LICENCE(\..+)?)$/i.test(name) && statSync(join(dir, name)).isFile())
      out.push(name);
  }
  const assets = join(dir, 'assets');
  if (existsSync(assets) && statSync(assets).isDirectory()) {
    for (const entry of readdirSync(assets, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      out.push(relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'));
    }
  }
  return out.sort();
}

export async function packPlugin(dir: string): Promise<PackedPlugin> {
  const text = readFileSync(join(dir, 'manifest.json'));
  const draft = JSON.parse(text.toString('utf8')) as Manifest;
  const id = registryIdOf(String(draft.name ?? ''));
  const own = validateManifestBytes({ file: `plugins/${id}/manifest.json`, pluginId: id }, text).problems;
  if (own.some(isError))
    throw new PackError(
      `${join(dir, 'manifest.json')} does not pass the registry's rules`,
      own,
      'fix the errors above',
    );
  let built: Awaited<ReturnType<typeof buildPluginProject>>;
  try {
    built = await buildPluginProject(dir);
    await loadBuiltPlugin(dir, built);
  } catch (err) {
    throw new PackError((err as Error).message, [], 'wfctl plugin test runs the plugin the same way');
  }
  const { downloads: _downloads, ...rest } = draft;
  const manifest: Manifest = { ...rest, main: 'index.js' };
  const files: Array<{ path: string; data: string | Buffer }> = [
    { path: 'manifest.json', data: `${JSON.stringify(manifest, null, 2)}\n` },
    { path: 'index.js', data: built.code },
    ...extraFiles(dir).map((path) => ({ path, data: readFileSync(join(dir, path)) })),
  ];
  // sorted, so the archive does not depend on the order files were listed in
  const bytes = writeTarGz(files.map((f) => ({ ...f, mode: 0o644 })).sort((a, b) => (a.path < b.path ? -1 : 1)));
  return {
    manifest,
    id,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    files: files.map((f) => f.path).sort(),
  };
}
