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
