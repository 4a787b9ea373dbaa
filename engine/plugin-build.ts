// Building a plugin project: its entry (TypeScript or JavaScript, `main` in manifest.json) and
// everything it imports, bundled by esbuild into one ESM file the engine imports without a
// TypeScript loader. `wfctl publish` puts this file in the archive; `wfctl plugin test`, `wfctl run`
// with a `source: ./dir` requirement and `wfctl plugin docs` load a project through it. esbuild's
// output is a pure function of the inputs (no timestamps, paths relative to the project), which the
// deterministic archive relies on.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnginePlugin } from './contract.ts';
import { engineApiProblem, PluginCompatibilityError, pluginFromEntry, type PluginEntryModule } from './plugin-api.ts';
import { entryPath, readPluginManifest, type PluginManifestFile } from './plugin-loader.ts';
import { pathToFileURL } from 'node:url';

export interface BuiltPluginProject {
  manifest: PluginManifestFile;
  /** The bundled entry module. */
  code: string;
}

/** Where a project's build output goes (the scaffold's .gitignore lists it). */
export const projectBuildDir = '.wfctl/build';

export async function buildPluginProject(dir: string): Promise<BuiltPluginProject> {
  const manifest = readPluginManifest(dir);
  const incompatible = engineApiProblem(manifest);
  if (incompatible) throw new PluginCompatibilityError(incompatible, manifest.name);
  const entry = entryPath(dir, manifest);
  if (!existsSync(entry)) throw new Error(`plugin "${manifest.name}": entry ${entry} not found (manifest.json "main")`);
  const esbuild = await import('esbuild');
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: dir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
      outfile: join(dir, projectBuildDir, 'index.js'),
    });
  } catch (err) {
    const errors = (
      err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }
    ).errors;
    const lines = (errors ?? []).map((e) =>
      e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ${e.text}` : e.text,
    );
    throw new Error(`plugin "${manifest.name}" does not build:\n  ${lines.join('\n  ') || (err as Error).message}`);
  }
  return { manifest, code: result.outputFiles![0]!.text };
}

/** Build a project and load it as the engine loads an installed plugin. */
export async function loadPluginProject(dir: string): Promise<EnginePlugin> {
  return loadBuiltPlugin(dir, await buildPluginProject(dir));
}

/** Import a built project's entry (written under .wfctl/build/, named by its hash) as a plugin. */
export async function loadBuiltPlugin(dir: string, built: BuiltPluginProject): Promise<EnginePlugin> {
  const hash = createHash('sha256').update(built.code).digest('hex').slice(0, 16);
  const out = join(dir, projectBuildDir, `plugin-${hash}.mjs`);
  if (!existsSync(out) || readFileSync(out, 'utf8') !== built.code) {
    mkdirSync(join(dir, projectBuildDir), { recursive: true });
    writeFileSync(out, built.code);
  }
  let exports: PluginEntryModule;
  try {
    exports = (await import(pathToFileURL(out).href)) as PluginEntryModule;
  } catch (err) {
    throw new Error(`plugin "${built.manifest.name}": the built entry fails to load: ${(err as Error).message}`);
  }
  return pluginFromEntry(built.manifest, exports, `plugin "${built.manifest.name}" (${dir})`, dir);
}
