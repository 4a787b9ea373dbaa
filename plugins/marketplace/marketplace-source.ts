// Where the marketplace steps find plugins and put them. The catalog is the plugin registry's HTTP
// API (step config `registry`, else WORKFLOW_REGISTRY_URL, else WFCTL_REGISTRY_URL); installs go
// through the same verifying installer as `wfctl plugin install`, into the app's plugin directory
// (WORKFLOW_PLUGIN_DIR, else <data dir>/plugins) and its lock (WORKFLOW_PLUGIN_LOCK, else
// wfctl.lock beside the config). Without a registry the catalog is what is installed, and installs
// say that a registry is needed. The registry code loads on first use, not with the engine.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppContext, ConfigMap } from '../../engine/index.ts';

/** A plugin as upstream's marketplace steps describe it. */
export interface MarketplaceEntry extends ConfigMap {
  name: string;
  version: string;
  description: string;
  author: string;
  category: string;
  tags: string[];
  downloads: number;
  rating: number;
  installed: boolean;
  installedAt: string;
}

export interface MarketplaceSource {
  search(query: string, category: string, tags: string[]): Promise<MarketplaceEntry[]>;
  detail(name: string): Promise<MarketplaceEntry | undefined>;
  install(name: string): Promise<MarketplaceEntry>;
  update(name: string): Promise<MarketplaceEntry>;
  uninstall(name: string): Promise<void>;
  installed(): Promise<MarketplaceEntry[]>;
}

export function marketplaceSource(app: AppContext, registryOverride?: string): MarketplaceSource {
  const registryUrl = registryOverride || process.env.WORKFLOW_REGISTRY_URL || process.env.WFCTL_REGISTRY_URL;
  const pluginDir = resolve(process.env.WORKFLOW_PLUGIN_DIR ?? join(app.dataDir, 'plugins'));
  const lockPath = resolve(process.env.WORKFLOW_PLUGIN_LOCK ?? join(app.configDir, 'wfctl.lock'));
  const load = () => import('../../registry-index/index.ts');
  const locations = { pluginDir, lockPath };

  const installedEntries = async (): Promise<MarketplaceEntry[]> => {
    const { listInstalled } = await load();
    return listInstalled(locations)
      .filter((p) => !p.problem)
      .map((p) => {
        const receipt = join(pluginDir, p.name, '.wfctl-install.json');
        return entry(
          { name: p.name, version: p.version },
          existsSync(receipt) ? statSync(receipt).mtime.toISOString() : '',
        );
      });
  };
  const registry = async () => {
    if (!registryUrl)
      throw new Error('no plugin registry is configured: set WORKFLOW_REGISTRY_URL (or the step\'s "registry")');
    const { RegistryClient } = await load();
    return new RegistryClient({ baseUrl: registryUrl, token: process.env.WFCTL_REGISTRY_TOKEN, timeoutMs: 15_000 });
  };
  const installOptions = async () => {
    const client = await registry();
    return { registry: client, registryUrl: registryUrl!, ...locations };
  };
  const markInstalled = async (entries: MarketplaceEntry[]) => {
    const have = new Map((await installedEntries()).map((e) => [e.name, e]));
    return entries.map((e) => {
      const i = have.get(e.name);
      return i ? { ...e, installed: true, installedAt: i.installedAt } : e;
    });
  };

  return {
    async search(query, category, tags) {
      let found: MarketplaceEntry[];
      if (!registryUrl) {
        const q = query.toLowerCase();
        found = (await installedEntries()).filter((e) => !q || e.name.includes(q));
      } else {
        const client = await registry();
        const { items } = await client.search(query, { ...(category ? { category } : {}), perPage: 100 });
        found = items.map((s) =>
          entry({
            name: s.name,
            version: s.version,
            description: s.description,
            author: s.author ?? '',
            category: s.category ?? '',
            tags: s.keywords,
          }),
        );
      }
      if (category) found = found.filter((e) => e.category === category);
      if (tags.length) found = found.filter((e) => e.tags.some((t) => tags.includes(t)));
      return markInstalled(found);
    },
    async detail(name) {
      if (!registryUrl) return (await installedEntries()).find((e) => e.name === name);
      const client = await registry();
      const { RegistryError } = await load();
      try {
        const doc = await client.plugin(name);
        const s = doc.summary;
        const [e] = await markInstalled([
          entry({
            name: doc.name,
            version: s.version,
            description: s.description,
            author: s.author ?? '',
            category: s.category ?? '',
            tags: s.keywords,
          }),
        ]);
        return e;
      } catch (err) {
        if (err instanceof RegistryError && err.status === 404) return undefined;
        throw err;
      }
    },
    async install(name) {
      const { installPlugin } = await load();
      const result = await installPlugin({ name }, await installOptions());
      return (await this.detail(result.name)) ?? entry({ name: result.name, version: result.version, installed: true });
    },
    async update(name) {
      const { updatePlugins, listInstalled } = await load();
      if (!listInstalled(locations).some((p) => p.name === name)) throw new Error(`plugin "${name}" is not installed`);
      const [result] = await updatePlugins([name], await installOptions());
      return (
        (await this.detail(result!.name)) ?? entry({ name: result!.name, version: result!.version, installed: true })
      );
    },
    async uninstall(name) {
      const { removePlugin, listInstalled } = await load();
      if (!listInstalled(locations).some((p) => p.name === name)) throw new Error(`plugin "${name}" is not installed`);
      removePlugin(name, locations);
    },
    installed: installedEntries,
  };
}

function entry(e: Partial<MarketplaceEntry> & { name: string }, installedAt = ''): MarketplaceEntry {
  return {
    version: '',
    description: '',
    author: '',
    category: '',
    tags: [],
    // the registry keeps no download counts or ratings; upstream's fields stay, zeroed
    downloads: 0,
    rating: 0,
    installed: installedAt !== '',
    installedAt,
    ...e,
  };
}
