// Resolution of spec.plugins (name + semver range) to exact versions with a sha256, behind a small
// interface: the registry client (registry-index) is one implementation. Results are cached for a
// while so a resync does not query the registry for every app.
import type { ResolvedPlugin } from '../api/types.ts';

/** What the registry says a plugin version provides: enough to validate a config that uses it. */
export interface PluginDeclaration {
  name: string;
  version: string;
  description?: string;
  tier?: string;
  engineApi?: string;
  capabilities?: { moduleTypes?: string[]; stepTypes?: string[]; triggerTypes?: string[]; workflowHandlers?: string[] };
}

/** A resolution, and the declaration of the resolved version (kept out of the status). */
export interface PluginResolution extends ResolvedPlugin {
  declaration?: PluginDeclaration;
}

export class PluginResolutionError extends Error {
  /** True when a retry may succeed (registry down); false when the spec must change (no such version). */
  readonly temporary: boolean;
  constructor(message: string, temporary: boolean) {
    super(message);
    this.name = 'PluginResolutionError';
    this.temporary = temporary;
  }
}

export interface PluginResolver {
  /** Throws PluginResolutionError. */
  resolve(name: string, range: string): Promise<PluginResolution>;
}

/** Used when the operator runs without a registry: any requested plugin is an error that says so. */
export const noRegistryResolver: PluginResolver = {
  async resolve(name) {
    throw new PluginResolutionError(
      `plugin "${name}" cannot be resolved: the operator has no plugin registry (start it with --registry URL)`,
      false,
    );
  },
};

export class CachingPluginResolver implements PluginResolver {
  private readonly cache = new Map<string, { at: number; value: PluginResolution }>();
  constructor(
    private readonly inner: PluginResolver,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}
  async resolve(name: string, range: string): Promise<PluginResolution> {
    const key = `${name}@${range}`;
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = await this.inner.resolve(name, range);
    this.cache.set(key, { at: this.now(), value });
    return value;
  }
}

export type PluginsOutcome =
  | { ok: true; resolved: ResolvedPlugin[]; declarations: PluginDeclaration[] }
  | { ok: false; temporary: boolean; message: string };

export async function resolvePlugins(
  requests: Array<{ name: string; version: string }>,
  resolver: PluginResolver,
): Promise<PluginsOutcome> {
  const resolved: ResolvedPlugin[] = [];
  const declarations: PluginDeclaration[] = [];
  const problems: string[] = [];
  let temporary = false;
  for (const { name, version } of requests) {
    try {
      const { declaration, ...plugin } = await resolver.resolve(name, version);
      resolved.push({ ...plugin, name, range: version });
      if (declaration) declarations.push(declaration);
    } catch (err) {
      temporary ||= (err as PluginResolutionError).temporary === true;
      problems.push((err as Error).message);
    }
  }
  return problems.length
    ? { ok: false, temporary, message: problems.join('; ') }
    : { ok: true, resolved, declarations };
}
