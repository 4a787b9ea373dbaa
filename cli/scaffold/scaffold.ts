// Project scaffolds for `wfctl init --template T DIR` and `wfctl plugin init NAME`: template files under
// cli/scaffold/templates/<template>/ (named *.tmpl so neither the compiler nor the linter reads them
// as this repository's code), with __VARIABLE__ placeholders filled in. Writing refuses to touch a
// directory that already has files, so a scaffold never overwrites work.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const templates = ['api-service', 'event-processor', 'full-stack', 'plugin', 'ui-plugin'] as const;
export type TemplateName = (typeof templates)[number];

const templatesDir = fileURLToPath(new URL('./templates/', import.meta.url));
/** The engine's public surface, for the type paths of generated TypeScript projects. */
export const engineTypesPath = fileURLToPath(new URL('../../engine/index.ts', import.meta.url));
const nodeTypesPath = fileURLToPath(new URL('../../node_modules/@types', import.meta.url));

export interface ScaffoldFile {
  path: string;
  content: string;
}

/** "my-plugin" -> "my_plugin": type names use underscores (step.my_plugin_greet). */
export function snakeName(name: string): string {
  return name.replace(/-/g, '_');
}

export function isTemplate(name: string): name is TemplateName {
  return (templates as readonly string[]).includes(name);
}

/** The files of a template with its variables filled in (`gitignore` becomes `.gitignore`). */
export function renderTemplate(template: TemplateName, vars: Record<string, string>): ScaffoldFile[] {
  const root = join(templatesDir, template);
  const out: ScaffoldFile[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.tmpl')) continue;
    const full = join(entry.parentPath, entry.name);
    let path = relative(root, full).slice(0, -'.tmpl'.length).split('\\').join('/');
    if (path === 'gitignore') path = '.gitignore';
    let content = readFileSync(full, 'utf8');
    for (const [key, value] of Object.entries(vars)) content = content.replaceAll(`__${key}__`, value);
    const left = /__[A-Z_]+__/.exec(content);
    if (left) throw new Error(`template ${template}/${path} uses ${left[0]}, which has no value`);
    out.push({ path, content });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Why `dir` cannot receive a scaffold, or undefined. */
export function scaffoldTargetProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  if (readdirSync(dir).length > 0) return `${dir} already exists and is not empty`;
  return undefined;
}

export function writeScaffold(dir: string, files: ScaffoldFile[]): void {
  for (const f of files) {
    const target = join(dir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
}

export interface ScaffoldOptions {
  name: string;
  author?: string;
  description?: string;
  tier?: string;
  category?: string;
}

const namePattern = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Render `template` into `dir` (which must not exist or be empty). Plugin templates get a manifest
 * that passes the registry's rules, checked before anything is written.
 */
export async function scaffold(template: TemplateName, dir: string, opts: ScaffoldOptions): Promise<ScaffoldFile[]> {
  const { CliError } = await import('../output.ts');
  if (!namePattern.test(opts.name))
    throw new CliError(
      `"${opts.name}" is not a usable name: use lower-case letters, digits and dashes, starting with a letter`,
      {
        hint: `e.g. ${
          opts.name
            .toLowerCase()
            .replace(/[^a-z0-9-]+/g, '-')
            .replace(/^[^a-z]+|-+$/g, '') || 'my-plugin'
        }`,
      },
    );
  const problem = scaffoldTargetProblem(dir);
  if (problem) throw new CliError(problem, { hint: 'pick another name or directory' });
  const { pluginApiVersion } = await import('../../engine/index.ts');
  const files = renderTemplate(template, {
    NAME: opts.name,
    SNAKE: snakeName(opts.name),
    AUTHOR: opts.author ?? process.env.USER ?? 'unknown',
    DESCRIPTION: opts.description ?? `The ${opts.name} ${template.endsWith('plugin') ? 'plugin' : 'app'}`,
    TYPE: template === 'ui-plugin' ? 'ui' : 'external',
    TIER: opts.tier ?? 'community',
    CATEGORY: opts.category ?? 'other',
    ENGINE_API: `^${pluginApiVersion.split('.').slice(0, 2).join('.')}`,
    ENGINE_TYPES: engineTypesPath,
    NODE_TYPES: nodeTypesPath,
  });
  const manifest = files.find((f) => f.path === 'manifest.json');
  if (manifest) {
    const { formatProblem, validateManifestBytes } = await import('../../registry-index/index.ts');
    const id = opts.name.replace(/^workflow-plugin-/, '');
    const errors = validateManifestBytes(
      { file: `plugins/${id}/manifest.json`, pluginId: id },
      Buffer.from(manifest.content),
    ).problems.filter((p) => p.severity === 'error');
    if (errors.length)
      throw new CliError(`cannot create plugin "${opts.name}":\n${errors.map(formatProblem).join('\n')}`);
  }
  writeScaffold(dir, files);
  return files;
}
