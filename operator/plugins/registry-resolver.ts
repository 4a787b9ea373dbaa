// spec.plugins resolution through the plugin registry's HTTP API (registry-index's RegistryClient):
// a semver range becomes an exact version, and the archive for the pods' platform its sha256.
import { RegistryClient, RegistryError, artifactFor } from '../../registry-index/index.ts';
import { PluginResolutionError, type PluginResolution, type PluginResolver } from './resolver.ts';

export interface RegistryResolverOptions {
  /** Registry base URL, e.g. http://registry.workflow-system.svc:8090. */
  url: string;
  token?: string;
  /** Platform of the engine pods (whose archive's sha256 goes into the lock). Default linux/amd64. */
  platform?: { os: string; arch: string };
}

export function registryPluginResolver(opts: RegistryResolverOptions): PluginResolver {
  const client = new RegistryClient({ baseUrl: opts.url, token: opts.token, timeoutMs: 10_000 });
  const platform = opts.platform ?? { os: 'linux', arch: 'amd64' };
  return {
    async resolve(name, range): Promise<PluginResolution> {
      try {
        // Asked without a platform: builtin plugins (compiled into the engine) have no archives.
        const r = await client.resolve(name, range);
        // the pods' own archive, else a platform-independent one (a JavaScript plugin)
        const artifact = artifactFor(r.downloads, platform)[0];
        if (!artifact && r.downloads.length > 0) {
          const have = r.downloads.map((d) => `${d.os}/${d.arch}`).join(', ');
          throw new PluginResolutionError(
            `plugin "${name}@${range}": ${name}@${r.version} has no archive for ` +
              `${platform.os}/${platform.arch} (has ${have})`,
            false,
          );
        }
        const m = r.manifest;
        return {
          name,
          range,
          version: r.version,
          ...(artifact?.sha256 ? { sha256: artifact.sha256 } : {}),
          ...(artifact?.url ? { url: artifact.url } : {}),
          ...(artifact?.signature ? { signer: artifact.signature.keyId } : {}),
          ...(artifact
            ? { source: `${opts.url.replace(/\/+$/, '')}/api/v1/plugins/${encodeURIComponent(r.name)}` }
            : {}),
          declaration: {
            name: m.name,
            version: m.version,
            description: m.description,
            tier: m.tier,
            ...(m.engineApi ? { engineApi: m.engineApi } : {}),
            ...(m.capabilities ? { capabilities: m.capabilities } : {}),
          },
        };
      } catch (err) {
        if (err instanceof PluginResolutionError) throw err;
        if (err instanceof RegistryError) {
          // 0 = unreachable; 429 and 5xx pass; 4xx means the request itself is wrong (no such plugin or version).
          const temporary = err.status === 0 || err.status === 429 || err.status >= 500;
          throw new PluginResolutionError(
            `plugin "${name}@${range}": ${err.message}${err.hint ? ` (${err.hint})` : ''}`,
            temporary,
          );
        }
        throw new PluginResolutionError(`plugin "${name}@${range}": ${(err as Error).message}`, true);
      }
    },
  };
}
