import type { PluginManifestInfo } from '../../engine/index.ts';

/** The engine-facing subset of a plugin's manifest.json, checked once at import. */
export function manifestInfo(json: {
  name: string;
  version: string;
  description: string;
  tier: string;
}): PluginManifestInfo {
  if (json.tier !== 'core' && json.tier !== 'community' && json.tier !== 'premium') {
    throw new Error(`plugin manifest "${json.name}": tier must be core, community or premium, got "${json.tier}"`);
  }
  return { name: json.name, version: json.version, description: json.description, tier: json.tier };
}
