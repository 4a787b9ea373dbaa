// Upstream's marketplace pipeline steps (UPSTREAM.md 6.2; shared scenario 41), over our registry API
// and installer (marketplace-source.ts). Outputs keep upstream's keys:
//   search    {query, category, tags} -> {results, count, query}
//   detail    {plugin}                -> {plugin, found}   (found: false instead of an error, so a
//                                                           lookup of an unknown name is an answer)
//   install   {plugin}                -> {plugin, version, status: "installed", success}
//   installed {}                      -> {plugins, count}
//   update    {plugin}                -> {plugin, status: "updated", success}
//   uninstall {plugin}                -> {plugin, status: "uninstalled", success}
// Names and queries are templates. Every step takes an optional `registry` URL.
import { ConfigValueError, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { marketplaceSource, type MarketplaceSource } from './marketplace-source.ts';

const registryField = {
  key: 'registry',
  type: 'string' as const,
  description: 'registry URL (default: WORKFLOW_REGISTRY_URL)',
};
const pluginField = { key: 'plugin', type: 'string' as const, required: true, description: 'plugin name (template)' };

export const marketplaceSchemas: Record<string, TypeSchema> = {
  'step.marketplace_search': {
    description: 'Searches the plugin registry by query, category and tags',
    configFields: [
      { key: 'query', type: 'string', description: 'words to look for (template)' },
      { key: 'category', type: 'string', description: 'registry category' },
      { key: 'tags', type: 'array', description: 'keywords, any of which must match' },
      registryField,
    ],
    outputs: [
      { key: 'results', type: 'array', description: 'matching plugins' },
      { key: 'count', type: 'number' },
      { key: 'query', type: 'string' },
    ],
  },
  'step.marketplace_detail': {
    description: 'Metadata of one plugin',
    configFields: [pluginField, registryField],
    outputs: [
      { key: 'plugin', type: 'map', description: 'the plugin, or null' },
      { key: 'found', type: 'boolean' },
    ],
  },
  'step.marketplace_install': {
    description: 'Installs a plugin (verified sha256 and signature) into the app plugin directory and lock',
    configFields: [pluginField, registryField],
    outputs: [
      { key: 'plugin', type: 'string' },
      { key: 'version', type: 'string' },
      { key: 'status', type: 'string' },
    ],
  },
  'step.marketplace_installed': {
    description: 'The installed plugins',
    configFields: [registryField],
    outputs: [
      { key: 'plugins', type: 'array' },
      { key: 'count', type: 'number' },
    ],
  },
  'step.marketplace_update': {
    description: 'Updates an installed plugin to the newest version its locked range allows',
    configFields: [pluginField, registryField],
    outputs: [
      { key: 'plugin', type: 'map' },
      { key: 'status', type: 'string' },
    ],
  },
  'step.marketplace_uninstall': {
    description: 'Removes an installed plugin and its lock entry',
    configFields: [pluginField, registryField],
    outputs: [
      { key: 'plugin', type: 'string' },
      { key: 'status', type: 'string' },
    ],
  },
};

type Action = (
  source: MarketplaceSource,
  args: { plugin: string; query: string; category: string; tags: string[] },
) => Promise<Record<string, unknown>>;

function marketplaceStep(needsPlugin: boolean, action: Action): StepFactory {
  return (spec, ctx) => {
    const cfg = spec.config;
    if (needsPlugin && (typeof cfg.plugin !== 'string' || cfg.plugin === ''))
      throw new ConfigValueError(`${spec.type} needs "plugin": the plugin's name`, {
        path: ['plugin'],
        hint: 'plugin: messaging-kafka',
      });
    for (const key of ['query', 'category', 'registry'])
      if (cfg[key] !== undefined && typeof cfg[key] !== 'string')
        throw new ConfigValueError(`"${key}" must be a string`, { path: [key] });
    if (cfg.tags !== undefined && !(Array.isArray(cfg.tags) && cfg.tags.every((t) => typeof t === 'string')))
      throw new ConfigValueError('"tags" must be a list of strings', { path: ['tags'] });
    const plugin = ctx.templates.compile(cfg.plugin ?? '', ['plugin']);
    const query = ctx.templates.compile(cfg.query ?? '', ['query']);
    // where plugins come from and go is settled when the app is built, like the rest of its config
    const source = marketplaceSource(ctx, cfg.registry as string | undefined);
    return {
      name: spec.name,
      type: spec.type,
      async execute(pc) {
        const output = await action(source, {
          plugin: String(plugin.resolve(pc)),
          query: String(query.resolve(pc)),
          category: (cfg.category as string | undefined) ?? '',
          tags: (cfg.tags as string[] | undefined) ?? [],
        });
        return { output };
      },
    };
  };
}

export const marketplaceSteps: Record<string, StepFactory> = {
  'step.marketplace_search': marketplaceStep(false, async (s, a) => {
    const results = await s.search(a.query, a.category, a.tags);
    return { results, count: results.length, query: a.query };
  }),
  'step.marketplace_detail': marketplaceStep(true, async (s, a) => {
    const found = await s.detail(a.plugin);
    return { plugin: found ?? null, found: found !== undefined };
  }),
  'step.marketplace_install': marketplaceStep(true, async (s, a) => {
    const e = await s.install(a.plugin);
    return { plugin: e.name, version: e.version, status: 'installed', success: true };
  }),
  'step.marketplace_installed': marketplaceStep(false, async (s) => {
    const plugins = await s.installed();
    return { plugins, count: plugins.length };
  }),
  'step.marketplace_update': marketplaceStep(true, async (s, a) => ({
    plugin: await s.update(a.plugin),
    status: 'updated',
    success: true,
  })),
  'step.marketplace_uninstall': marketplaceStep(true, async (s, a) => {
    await s.uninstall(a.plugin);
    return { plugin: a.plugin, status: 'uninstalled', success: true };
  }),
};
