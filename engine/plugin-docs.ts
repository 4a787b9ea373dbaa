// Reference docs of a plugin as Markdown (`wfctl plugin docs`): identity from manifest.json, then
// every module, step and trigger type with its config fields and outputs from the plugin's schemas.
// A pure function of the two, so the output is stable and reviewable in a diff.
import type { ConfigField, EnginePlugin, TypeSchema } from './contract.ts';

function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function fieldsTable(fields: ConfigField[]): string[] {
  if (fields.length === 0) return ['No configuration.', ''];
  return [
    '| key | type | required | default | description |',
    '| --- | --- | --- | --- | --- |',
    ...fields.map(
      (f) =>
        `| \`${f.key}\` | ${f.type}${f.options?.length ? ` (${f.options.join(', ')})` : ''} | ` +
        `${f.required ? 'yes' : ''} | ${f.default !== undefined ? `\`${cell(f.default)}\`` : ''} | ` +
        `${cell(f.description)}${f.aliases?.length ? ` (also: ${f.aliases.join(', ')})` : ''} |`,
    ),
    '',
  ];
}

function typeSection(type: string, schema: TypeSchema | undefined): string[] {
  const out = [`### \`${type}\``, ''];
  if (!schema) return [...out, '_No schema: the plugin does not describe this type._', ''];
  out.push(schema.description, '', ...fieldsTable(schema.configFields));
  if (schema.outputs?.length) {
    out.push('Outputs:', '', '| key | type | description |', '| --- | --- | --- |');
    for (const o of schema.outputs) out.push(`| \`${o.key}\` | ${o.type} | ${cell(o.description)} |`);
    out.push('');
  }
  return out;
}

export function pluginDocsMarkdown(manifest: Record<string, unknown>, plugin: EnginePlugin): string {
  const m = manifest;
  const lines = [`# ${plugin.manifest.name}`, '', plugin.manifest.description, ''];
  const facts: Array<[string, unknown]> = [
    ['version', m.version],
    ['plugin API', m.engineApi],
    ['tier', m.tier],
    ['type', m.type],
    ['license', m.license],
    ['author', m.author],
    ['category', m.category],
    ['keywords', Array.isArray(m.keywords) && m.keywords.length ? m.keywords.join(', ') : undefined],
    ['repository', m.repository],
  ];
  lines.push('| | |', '| --- | --- |');
  for (const [k, v] of facts) if (v !== undefined && v !== '') lines.push(`| ${k} | ${cell(v)} |`);
  lines.push('');
  const modules = Object.keys(plugin.modules ?? {}).sort();
  const steps = Object.keys(plugin.steps ?? {}).sort();
  const triggers = Object.keys(plugin.triggers ?? {}).sort();
  const handlers = Object.keys(plugin.workflowHandlers ?? {}).sort();
  if (modules.length) {
    lines.push('## Module types', '');
    for (const t of modules) lines.push(...typeSection(t, plugin.moduleSchemas?.[t]));
  }
  if (steps.length) {
    lines.push('## Step types', '');
    for (const t of steps) lines.push(...typeSection(t, plugin.stepSchemas?.[t]));
  }
  if (triggers.length) lines.push('## Trigger types', '', ...triggers.map((t) => `- \`${t}\``), '');
  if (handlers.length) lines.push('## Workflow handlers', '', ...handlers.map((t) => `- \`${t}\``), '');
  lines.push(
    '## Using it',
    '',
    '```yaml',
    'requires:',
    '  plugins:',
    `    - name: ${plugin.manifest.name}`,
    `      version: "^${plugin.manifest.version}"`,
    '```',
    '',
    `Install: \`wfctl plugin install ${plugin.manifest.name}@^${plugin.manifest.version}\``,
    '',
  );
  return lines.join('\n');
}
