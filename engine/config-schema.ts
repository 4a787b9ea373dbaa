// The workflow config JSON Schema as `wfctl schema` prints it: the base schema from schema/ plus,
// for every loaded plugin type, the known module/step types and their config keys (if/then per
// type), so editors can complete and check configs.
import { workflowConfigSchema } from '../schema/index.ts';
import type { ConfigField, TypeSchema } from './contract.ts';
import type { PluginCatalog } from './plugin-catalog.ts';
import { TEMPLATE_FUNCTION_NAMES } from './template/index.ts';

const FIELD_TYPES: Record<ConfigField['type'], unknown> = {
  string: { type: 'string' },
  number: { type: ['number', 'string'] },
  boolean: { type: ['boolean', 'string'] },
  array: { type: 'array' },
  map: { type: 'object' },
  duration: { type: ['string', 'number'], description: 'Go duration, e.g. 30s, 5m, 1h' },
  select: { type: 'string' },
  json: {},
  filepath: { type: 'string' },
  sql: { type: 'string' },
  any: {},
};

function configSchema(schema: TypeSchema): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of schema.configFields) {
    const prop: Record<string, unknown> = { ...(FIELD_TYPES[f.type] as object) };
    if (f.description) prop.description = f.description;
    if (f.default !== undefined) prop.default = f.default;
    if (f.type === 'select' && f.options) prop.enum = f.options;
    properties[f.key] = prop;
    for (const alias of f.aliases ?? []) properties[alias] = { ...prop, description: `alias of ${f.key}` };
  }
  const required = schema.configFields.filter((f) => f.required).map((f) => f.key);
  return { type: 'object', description: schema.description, properties, ...(required.length ? { required } : {}) };
}

function typeRules(types: string[], schemas: Map<string, TypeSchema>): unknown[] {
  return types
    .filter((t) => schemas.has(t))
    .map((t) => ({
      if: { properties: { type: { const: t } }, required: ['type'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable
      then: { properties: { config: configSchema(schemas.get(t)!) } },
    }));
}

export function buildConfigSchema(catalog: PluginCatalog): Record<string, unknown> {
  type Definition = { properties: { type: object }; allOf?: unknown };
  const schema = structuredClone(workflowConfigSchema) as Record<string, unknown> & {
    definitions: { module: Definition; step: Definition };
  };
  const moduleTypes = [...catalog.modules.keys()].sort();
  const stepTypes = [...catalog.steps.keys()].sort();
  const defs = schema.definitions;
  defs.module.properties.type = { ...defs.module.properties.type, examples: moduleTypes };
  defs.module.allOf = typeRules(moduleTypes, catalog.moduleSchemas);
  defs.step.properties.type = { ...defs.step.properties.type, examples: stepTypes };
  defs.step.allOf = typeRules(stepTypes, catalog.stepSchemas);
  schema['x-workflow'] = {
    moduleTypes,
    stepTypes,
    triggerTypes: [...catalog.triggers.keys()].sort(),
    workflowTypes: [...catalog.workflowHandlers.keys()].sort(),
    templateFunctions: TEMPLATE_FUNCTION_NAMES,
    plugins: catalog.plugins.map((p) => ({
      name: p.manifest.name,
      version: p.manifest.version,
      tier: p.manifest.tier,
    })),
  };
  return schema;
}
