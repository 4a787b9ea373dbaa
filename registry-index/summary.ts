// The upstream index projection (UPSTREAM.md 5.5): the exact object the upstream build script puts in
// index.json for each public plugin. Existing clients parse these keys, so the shape, the defaults and
// the key order are kept; everything not listed (downloads, checksums, path, serviceMethods, buildHooks,
// iacProvider.configSchema, unknown fields) stays out.
import type { Manifest } from './manifest.ts';

export interface IndexSummary {
  name: string;
  description: string;
  version: string;
  type: string;
  tier: string;
  status: string | null;
  category: string | null;
  license: string;
  author: string;
  keywords: string[];
  private: boolean;
  homepage: string | null;
  source: string | null;
  repository: string | null;
  minEngineVersion: string | null;
  assets: { ui: boolean; config: boolean } | null;
  dependencies: Array<{ name: string | null; minVersion: string | null; maxVersion: string | null }>;
  capabilities: {
    configProvider: boolean;
    moduleTypes: string[];
    stepTypes: string[];
    triggerTypes: string[];
    workflowHandlers: string[];
    wiringHooks: string[];
    migrationDrivers: string[];
    iacStateBackends: string[];
    resourceTypes: string[];
    iacProvider: { name: string | null; resourceTypes: string[]; supportedCanonicalKeys: string[] } | null;
    cliCommands: Array<{
      name: string | null;
      description: string | null;
      flagsPassthrough: boolean;
      subcommands: Array<{ name: string | null; description: string | null }>;
    }>;
  };
  iacProvider: { name: string | null; resourceTypes: string[]; computePlanVersion: string | null } | null;
  required_secrets?: Array<{
    name: string | null;
    sensitive: boolean;
    description: string | null;
    prompt: string | null;
  }>;
  required_config?: Array<{
    name: string | null;
    key: string | null;
    sensitive: boolean;
    description: string | null;
    prompt: string | null;
  }>;
  secret_targets?: Array<{ provider: string | null; scopes: string[]; description: string | null }>;
  config_targets?: Array<{ provider: string | null; scopes: string[]; description: string | null }>;
}

/**
 * Project a manifest to its index summary. `pluginId` (the directory name) becomes `name`, because
 * the upstream API paths use the directory. Works on any object: unknown or mistyped input degrades
 * to the defaults, as the upstream jq projection does.
 */
export function summarize(pluginId: string, manifest: Manifest): IndexSummary {
  const m = manifest as Partial<Manifest>;
  const caps = m.capabilities ?? {};
  const summary: IndexSummary = {
    name: pluginId,
    description: m.description ?? '',
    version: m.version ?? '',
    type: m.type ?? '',
    tier: m.tier ?? '',
    status: m.status ?? null,
    category: m.category ?? null,
    license: m.license ?? '',
    author: m.author ?? '',
    keywords: m.keywords ?? [],
    private: m.private ?? false,
    homepage: m.homepage ?? null,
    source: m.source ?? null,
    repository: m.repository ?? null,
    minEngineVersion: m.minEngineVersion ?? null,
    assets: m.assets == null ? null : { ui: m.assets.ui ?? false, config: m.assets.config ?? false },
    dependencies: (m.dependencies ?? []).map((d) => ({
      name: d.name ?? null,
      minVersion: d.minVersion ?? null,
      maxVersion: d.maxVersion ?? null,
    })),
    capabilities: {
      configProvider: caps.configProvider ?? false,
      moduleTypes: caps.moduleTypes ?? [],
      stepTypes: caps.stepTypes ?? [],
      triggerTypes: caps.triggerTypes ?? [],
      workflowHandlers: caps.workflowHandlers ?? [],
      wiringHooks: caps.wiringHooks ?? [],
      migrationDrivers: caps.migrationDrivers ?? [],
      iacStateBackends: caps.iacStateBackends ?? [],
      resourceTypes: caps.resourceTypes ?? [],
      iacProvider:
        caps.iacProvider == null
          ? null
          : {
              name: caps.iacProvider.name ?? null,
              resourceTypes: caps.iacProvider.resourceTypes ?? [],
              supportedCanonicalKeys: caps.iacProvider.supportedCanonicalKeys ?? [],
            },
      cliCommands: (caps.cliCommands ?? []).map((c) => ({
        name: c.name ?? null,
        description: c.description ?? null,
        flagsPassthrough: c.flagsPassthrough ?? false,
        subcommands: (c.subcommands ?? []).map((s) => ({ name: s.name ?? null, description: s.description ?? null })),
      })),
    },
    iacProvider:
      m.iacProvider == null
        ? null
        : {
            name: m.iacProvider.name ?? null,
            resourceTypes: m.iacProvider.resourceTypes ?? [],
            computePlanVersion: m.iacProvider.computePlanVersion ?? null,
          },
  };
  if (m.required_secrets != null) {
    summary.required_secrets = m.required_secrets.map((s) => ({
      name: s.name ?? null,
      sensitive: s.sensitive ?? false,
      description: s.description ?? null,
      prompt: s.prompt ?? null,
    }));
  }
  if (m.required_config != null) {
    summary.required_config = m.required_config.map((c) => ({
      name: c.name ?? null,
      key: c.key ?? null,
      sensitive: c.sensitive ?? false,
      description: c.description ?? null,
      prompt: c.prompt ?? null,
    }));
  }
  if (m.secret_targets != null) summary.secret_targets = m.secret_targets.map(projectTarget);
  if (m.config_targets != null) summary.config_targets = m.config_targets.map(projectTarget);
  return summary;
}

function projectTarget(t: { provider?: string; scopes?: string[]; description?: string }) {
  return { provider: t.provider ?? null, scopes: t.scopes ?? [], description: t.description ?? null };
}
