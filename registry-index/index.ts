// registry-index/: public surface. Other folders import it only through this file.
//
// The git-native plugin registry: one validator (rules), the index of a registry revision (full and
// incremental), the published-version ledger (immutability), and the shells around them.
export type { Problem, Severity } from './problem.ts';
export { formatProblem, hasErrors, summarizeProblems } from './problem.ts';
export type { Manifest, Download, PluginTier, PluginType } from './manifest.ts';
export { validateManifestBytes, maxManifestBytes, type ManifestValidation } from './validate-manifest.ts';
export { policyRules, legacyNameAliases, type ManifestContext } from './rules.ts';
export { selectDownload, type DownloadChoice } from './download-selection.ts';
export { summarize, type IndexSummary } from './summary.ts';
export {
  readTarGz,
  extractTarGz,
  unsafeEntryReason,
  unsafeArchiveReason,
  writeTarGz,
  ArchiveError,
  maxUnpackedArchiveBytes,
  maxArchiveEntries,
  type ArchiveLimits,
  type TarEntry,
} from './archive.ts';
export {
  DirectoryTree,
  MemoryTree,
  diffListings,
  gitBlobOid,
  type RegistryTree,
  type TreeEntry,
  type TreeChange,
} from './tree.ts';
export { GitCommitTree, resolveCommit } from './git-tree.ts';
export {
  buildIndex,
  updateIndex,
  type RegistryIndex,
  type PluginEntry,
  type VersionEntry,
  type Artifact,
} from './registry-index.ts';
export {
  publishIndex,
  servedEntry,
  allRefusals,
  emptyPublishedState,
  versionKey,
  type ByPlugin,
  type PublishedState,
  type PublishedVersion,
  type Refusal,
} from './published.ts';
export { RegistrySync, type RegistrySnapshot, type SyncResult, type SyncStatus } from './sync.ts';
export { openSource, type RegistrySource } from './git-source.ts';
export { IndexStore } from './index-store.ts';
export { RegistryCatalog, type VersionInfo } from './catalog.ts';
export { startRegistryServer, type RegistryServer, type RegistryServerOptions } from './registry-server.ts';
export { startGitServer, type GitServer, type GitServerOptions } from './git-server.ts';
export { checkPush, type PushVerdict } from './push-check.ts';
export { signBody, verifyWebhook, webhookProvider, type WebhookVerdict } from './webhook.ts';
export {
  RegistryClient,
  RegistryError,
  IntegrityError,
  type RegistryClientOptions,
  type Resolution,
  type PluginDocument,
  type PluginVersionSummary,
  type ArtifactRef,
  type DownloadResult,
  type SearchResult,
  artifactFor,
} from './client.ts';
export { writeStaticLayout } from './static-layout.ts';
export { PullRequestChecker, type PullRequestEvent, type PrCheckResult } from './pr-checker.ts';
export {
  publishToGitRegistry,
  yankVersion,
  PublishError,
  type PublishOptions,
  type PublishResult,
  type YankOptions,
} from './publish.ts';
export {
  publishPlugin,
  registryManifest,
  type PluginPublishOptions,
  type PluginPublishResult,
} from './publish-plugin.ts';
export { packPlugin, isPluginProject, registryIdOf, PackError, type PackedPlugin } from './plugin-package.ts';
export {
  submitPullRequest,
  githubClient,
  SubmissionError,
  type GitHubAuth,
  type PullRequestSubmission,
  type SubmittedPullRequest,
} from './github-submit.ts';
export {
  installPlugin,
  installFromLock,
  updatePlugins,
  removePlugin,
  listInstalled,
  readLock,
  parsePluginSpec,
  currentPlatform,
  InstallError,
  type InstallOptions,
  type InstallResult,
  type InstalledPlugin,
} from './installer.ts';
export {
  generateSigningKey,
  loadSigningKey,
  signArchive,
  verifyArchiveSignature,
  keyIdOf,
  signaturePayload,
  type GeneratedKey,
  type SigningKey,
  type ArchiveSignature,
} from './signing.ts';
export { checkSignature, keyCovers, parseKeyFile, type TrustedKey, type SignatureVerdict } from './trusted-keys.ts';
export { BlobStore } from './blob-store.ts';
