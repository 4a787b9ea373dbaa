// `wfctl publish` of a plugin project (a manifest with engineApi): the whole path from source to a
// registry submission.
//
//   pack (validate, build, deterministic tarball, sha256) -> sign (publisher's Ed25519 key) ->
//   refuse a version the registry already has -> submit the manifest (git push: publish.ts, with the
//   archive uploaded to the registry's blob store right before the push; or a pull request on GitHub)
//
// The manifest names the archive by digest (`blob:sha256:<hex>`) with its sha256 and signature; the
// registry's checks verify the signature against the trusted keys in the repository, and installers
// verify both again against the bytes they download.
import type { Manifest } from './manifest.ts';
import { packPlugin, type PackedPlugin } from './plugin-package.ts';
import { PublishError, publishToGitRegistry, type PublishResult } from './publish.ts';
import { RegistryError, type RegistryClient } from './client.ts';
import { submitPullRequest, type PullRequestSubmission, type SubmittedPullRequest } from './github-submit.ts';
import { signArchive, type SigningKey } from './signing.ts';

export interface PluginPublishOptions {
  /** The plugin project (holds manifest.json). */
  dir: string;
  key: SigningKey;
  /** The registry's HTTP API: the blob store, and the check for versions already published. */
  api?: RegistryClient;
  publishToken?: string;
  /** Submit by git push to this clone URL ... */
  git?: { url: string; branch?: string; token?: string };
  /** ... or by a pull request on GitHub. */
  pr?: Omit<PullRequestSubmission, 'id' | 'manifest'>;
  dryRun?: boolean;
}

export interface PluginPublishResult {
  id: string;
  version: string;
  sha256: string;
  size: number;
  signer: string;
  files: string[];
  /** git mode: the push result. */
  push?: PublishResult;
  pullRequest?: SubmittedPullRequest;
  dryRun?: boolean;
}

/** The registry manifest for a packed, signed archive. */
export function registryManifest(packed: PackedPlugin, key: SigningKey): Manifest {
  const signature = signArchive(key, {
    name: packed.manifest.name,
    version: packed.manifest.version,
    sha256: packed.sha256,
  });
  return {
    ...packed.manifest,
    downloads: [{ os: 'any', arch: 'any', url: `blob:sha256:${packed.sha256}`, sha256: packed.sha256, signature }],
  };
}

export async function publishPlugin(opts: PluginPublishOptions): Promise<PluginPublishResult> {
  if (!opts.git === !opts.pr)
    throw new PublishError('say where to publish', 'give --registry-git URL, or --pr with --github-repo');
  // Packing, signing and the published-version check need no registry clone: a git push clones
  // meanwhile (publishToGitRegistry awaits the manifest after its clone).
  const prepared = (async () => {
    const packed = await packPlugin(opts.dir);
    const manifest = registryManifest(packed, opts.key);
    await refuseRepublished(opts.api, packed.id, manifest.version);
    return { packed, manifest };
  })();
  const upload = async () => {
    const { packed } = await prepared;
    if (!opts.api)
      throw new PublishError('no registry API to upload the archive to', 'pass --registry URL (the registry server)');
    if (await opts.api.hasBlob(packed.sha256)) return;
    if (!opts.publishToken)
      throw new PublishError(
        `the registry does not have the archive sha256:${packed.sha256.slice(0, 12)}... and no publish token was given`,
        'pass --publish-token (or WFCTL_PUBLISH_TOKEN), the token the registry server was started with',
      );
    try {
      await opts.api.uploadBlob(packed.bytes, opts.publishToken);
    } catch (err) {
      if (err instanceof RegistryError)
        throw new PublishError(`uploading the archive failed: ${err.message}`, err.hint ?? '');
      throw err;
    }
  };
  const summary = (packed: PackedPlugin): PluginPublishResult => ({
    id: packed.id,
    version: packed.manifest.version,
    sha256: packed.sha256,
    size: packed.bytes.length,
    signer: opts.key.keyId,
    files: packed.files,
  });
  if (opts.pr) {
    const { packed, manifest } = await prepared;
    if (opts.dryRun) return { ...summary(packed), dryRun: true };
    await upload();
    return { ...summary(packed), pullRequest: await submitPullRequest({ ...opts.pr, id: packed.id, manifest }) };
  }
  const push = await publishToGitRegistry({
    manifestPath: `${opts.dir}/manifest.json`,
    manifest: prepared.then((p) => p.manifest),
    registryUrl: opts.git!.url,
    branch: opts.git!.branch,
    token: opts.git!.token,
    dryRun: opts.dryRun,
    beforePush: upload,
  });
  return { ...summary((await prepared).packed), push, ...(opts.dryRun ? { dryRun: true } : {}) };
}

/** Published versions are immutable: refuse before anything is uploaded or pushed. */
async function refuseRepublished(api: RegistryClient | undefined, id: string, version: string): Promise<void> {
  if (!api) return;
  let published: string[] = [];
  try {
    published = await api.versions(id);
  } catch (err) {
    if (!(err instanceof RegistryError && err.status === 404)) throw err;
  }
  if (published.includes(version))
    throw new PublishError(`${id}@${version} is already published`, 'published versions are immutable: bump "version"');
}
