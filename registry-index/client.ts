// A typed client for the registry HTTP API, used by wfctl and by the operator (resolving a
// WorkflowApp's `spec.plugins` entries: name + semver range -> exact version + sha256).
//
//   const registry = new RegistryClient({ baseUrl: 'http://127.0.0.1:8090' });
//   const r = await registry.resolve('http', '^1.0', { os: 'linux', arch: 'amd64' });
//   r.version        // '1.0.3'
//   r.artifact       // { os, arch, url, sha256 } for that platform, if the plugin publishes archives
//   const { bytes } = await registry.download('http', r.version, { os: 'linux', arch: 'amd64' });
//
// Downloads are verified against the sha256 the registry published for that version and fail closed:
// a mismatch, or no published checksum at all, is an error unless `allowUnverified` is set.
import { createHash } from 'node:crypto';
import type { DownloadSignature, Manifest } from './manifest.ts';
import type { IndexSummary } from './summary.ts';
import type { TrustedKey } from './trusted-keys.ts';

export interface RegistryClientOptions {
  /** e.g. http://127.0.0.1:8090 (no trailing /api/v1). */
  baseUrl: string;
  /** Sent as a bearer token. */
  token?: string;
  /** Per-request timeout (default 30 s, as upstream clients use). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface SearchOptions {
  tier?: string;
  type?: string;
  category?: string;
  page?: number;
  perPage?: number;
}

export interface SearchResult extends IndexSummary {
  score: number;
}

export interface ArtifactRef {
  os: string;
  arch: string;
  /** Absolute URL (archives stored in the registry repo point at the registry's download endpoint). */
  url: string;
  sha256: string | null;
  size?: number;
  signature?: DownloadSignature;
}

export interface PluginVersionSummary {
  version: string;
  prerelease: boolean;
  /** False for versions published earlier whose manifest has left the repository. */
  inTree: boolean;
  publishedAt: string | null;
  yanked?: { reason: string };
  /** A later commit tried to change this version's artifacts; the published ones are served. */
  refusedChange?: boolean;
  downloads: ArtifactRef[];
}

export interface PluginDocument {
  /** Registry id (directory name). */
  name: string;
  manifestName: string;
  revision: string;
  distTags: { latest?: string };
  summary: IndexSummary;
  versions: PluginVersionSummary[];
}

export interface Resolution {
  name: string;
  range: string;
  version: string;
  yanked?: { reason: string };
  /** The archive for the requested os/arch (when asked for one). */
  artifact?: ArtifactRef;
  downloads: ArtifactRef[];
  manifest: Manifest;
}

export interface DownloadResult {
  name: string;
  version: string;
  /** The archive's platform: the one asked for, or "any" for a platform-independent archive. */
  os: string;
  arch: string;
  sha256: string;
  signature?: DownloadSignature;
  bytes: Buffer;
}

/** The archive a client installs for a platform: its own, else a platform-independent one ("any"). */
export function artifactFor<T extends { os: string; arch: string }>(
  artifacts: readonly T[],
  platform: { os: string; arch: string },
): T[] {
  const own = artifacts.filter((a) => a.os === platform.os && a.arch === platform.arch);
  return own.length > 0 ? own : artifacts.filter((a) => a.os === 'any' && a.arch === 'any');
}

/** The registry answered with an error (carries its message and hint). */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** Downloaded bytes do not match the published sha256, or no checksum is published. Never install these. */
export class IntegrityError extends Error {
  constructor(
    message: string,
    readonly expected: string | null,
    readonly actual: string,
  ) {
    super(message);
    this.name = 'IntegrityError';
  }
}

export class RegistryClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: RegistryClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = opts.fetch ?? fetch;
  }

  /** Ranked search; `total` counts all matches, `items` is one page. */
  async search(query = '', opts: SearchOptions = {}): Promise<{ total: number; items: SearchResult[] }> {
    const params = new URLSearchParams();
    if (query) params.set('q', query);
    for (const key of ['tier', 'type', 'category', 'page', 'perPage'] as const)
      if (opts[key] !== undefined) params.set(key, String(opts[key]));
    const res = await this.request(`/api/v1/plugins?${params}`);
    const items = (await res.json()) as SearchResult[];
    return { total: Number(res.headers.get('x-total-count') ?? items.length), items };
  }

  plugin(name: string): Promise<PluginDocument> {
    return this.json(`/api/v1/plugins/${enc(name)}`);
  }

  /** Version strings, newest first; with a range, only non-yanked matches. */
  versions(name: string, range?: string): Promise<string[]> {
    return this.json(`/api/v1/plugins/${enc(name)}/versions${range ? `?range=${enc(range)}` : ''}`);
  }

  /** Resolve a semver range (`^1.2`, `~1.4.0`, `1.2.3`, `latest`) to one exact version. */
  resolve(name: string, range: string, platform?: { os: string; arch: string }): Promise<Resolution> {
    const params = new URLSearchParams({ range });
    if (platform) {
      params.set('os', platform.os);
      params.set('arch', platform.arch);
    }
    return this.json(`/api/v1/plugins/${enc(name)}/resolve?${params}`);
  }

  manifest(name: string, version: string): Promise<Manifest> {
    return this.json(`/api/v1/plugins/${enc(name)}/versions/${enc(version)}`);
  }

  /**
   * Download the archive of `name@version` for a platform and verify it against the sha256 the
   * registry published for that version. Throws IntegrityError on mismatch, or when nothing is
   * published to verify against (unless `allowUnverified`).
   */
  async download(
    name: string,
    version: string,
    platform: { os: string; arch: string },
    opts: { allowUnverified?: boolean } = {},
  ): Promise<DownloadResult> {
    const doc = await this.plugin(name);
    const v = doc.versions.find((x) => x.version === version.replace(/^v/, ''));
    if (!v)
      throw new RegistryError(
        `${doc.name} has no version ${version}`,
        404,
        `available: ${doc.versions.map((x) => x.version).join(', ')}`,
      );
    const candidates = artifactFor(v.downloads, platform);
    const chosen = candidates[0] ?? platform;
    const params = new URLSearchParams({ os: chosen.os, arch: chosen.arch });
    const res = await this.request(`/api/v1/plugins/${enc(doc.name)}/versions/${enc(v.version)}/download?${params}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const actual = createHash('sha256').update(bytes).digest('hex');
    const published = candidates.map((d) => d.sha256);
    const header = res.headers.get('x-checksum-sha256');
    const expected = published.find((s) => s === actual) ?? published.find((s) => s !== null) ?? null;
    if (expected === null) {
      if (!opts.allowUnverified)
        throw new IntegrityError(
          `${doc.name}@${v.version} publishes no sha256 for ${platform.os}/${platform.arch}; refusing to use ` +
            `an unverified archive`,
          null,
          actual,
        );
    } else if (expected !== actual) {
      throw new IntegrityError(
        `sha256 mismatch for ${doc.name}@${v.version} ${platform.os}/${platform.arch}: expected ${expected}, ` +
          `got ${actual}`,
        expected,
        actual,
      );
    }
    if (header && expected !== null && header !== expected) {
      throw new IntegrityError(
        `the registry's X-Checksum-Sha256 (${header}) disagrees with the published sha256 (${expected})`,
        expected,
        actual,
      );
    }
    const signature = candidates.find((d) => d.sha256 === actual)?.signature;
    return {
      name: doc.name,
      version: v.version,
      os: chosen.os,
      arch: chosen.arch,
      sha256: actual,
      ...(signature ? { signature } : {}),
      bytes,
    };
  }

  /** The publisher keys the registry trusts (keys/ of its repository at the served revision). */
  async trustedKeys(): Promise<Map<string, TrustedKey>> {
    const { keys } = await this.json<{ keys: TrustedKey[] }>('/api/v1/keys');
    return new Map(keys.map((k) => [k.keyId, k]));
  }

  /** Upload an archive to the registry's blob store (the registry's publish token). Returns its digest. */
  async uploadBlob(bytes: Uint8Array, publishToken: string): Promise<{ sha256: string; created: boolean }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const res = await this.request(`/api/v1/blobs/sha256/${sha256}`, {
      method: 'PUT',
      body: bytes,
      headers: { authorization: `Bearer ${publishToken}`, 'content-type': 'application/gzip' },
    });
    const body = (await res.json()) as { created: boolean };
    return { sha256, created: body.created };
  }

  /** Whether the registry's blob store has an archive. */
  async hasBlob(sha256: string): Promise<boolean> {
    try {
      await this.request(`/api/v1/blobs/sha256/${sha256}`, { method: 'HEAD' });
      return true;
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return false;
      throw err;
    }
  }

  private async json<T>(path: string): Promise<T> {
    return (await (await this.request(path)).json()) as T;
  }

  private async request(
    path: string,
    init: { method?: string; body?: Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: init.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
          ...(init.headers ?? {}),
        },
        ...(init.body ? { body: init.body } : {}),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const e = err as Error;
      throw new RegistryError(
        `cannot reach the registry at ${this.base}: ` +
          `${e.name === 'TimeoutError' ? 'timed out' : ((e.cause as Error | undefined)?.message ?? e.message)}`,
        0,
        'check the registry URL (--registry or WFCTL_REGISTRY_URL) and that the server runs',
      );
    }
    if (res.ok) return res;
    let message = `${res.status} ${res.statusText}`;
    let hint: string | undefined;
    try {
      const body = (await res.json()) as { error?: string; hint?: string };
      message = body.error ?? message;
      hint = body.hint;
    } catch {
      // not JSON: keep the status line
    }
    if (res.status === 429) hint = `rate limited; retry after ${res.headers.get('retry-after') ?? 'a few'} s`;
    throw new RegistryError(message, res.status, hint);
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
