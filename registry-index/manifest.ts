// The registry manifest as a TypeScript type: the shape schema/plugin-manifest.schema.json accepts.
// A value of this type has passed the schema; rules.ts checks what the schema cannot.

export type PluginType = 'builtin' | 'external' | 'ui';
export type PluginTier = 'core' | 'community' | 'premium';
export type PluginStatus = 'verified' | 'experimental' | 'deprecated';
export type DownloadOs = 'linux' | 'darwin' | 'windows' | 'any';
export type DownloadArch = 'amd64' | 'arm64' | 'any';

export interface Download {
  os: DownloadOs;
  arch: DownloadArch;
  /** https URL, or a path relative to the plugin directory for an archive stored in the registry repo. */
  url: string;
  sha256?: string;
  /** The publisher's Ed25519 signature over name, version and sha256 (signing.ts). */
  signature?: DownloadSignature;
}

export interface DownloadSignature {
  /** Names the trusted key keys/<keyId>.json (16 hex digits of the public key's sha256). */
  keyId: string;
  /** base64 Ed25519 signature. */
  sig: string;
}

export interface CliCommand {
  name: string;
  description?: string;
  flagsPassthrough?: boolean;
  subcommands?: Array<{ name: string; description?: string }>;
}

export interface Capabilities {
  configProvider?: boolean;
  moduleTypes?: string[];
  stepTypes?: string[];
  triggerTypes?: string[];
  workflowHandlers?: string[];
  wiringHooks?: string[];
  serviceMethods?: string[];
  iacStateBackends?: string[];
  resourceTypes?: string[];
  migrationDrivers?: string[];
  iacProvider?: {
    name: string;
    resourceTypes?: string[];
    supportedCanonicalKeys?: string[];
    configSchema?: Record<string, unknown>;
  };
  cliCommands?: CliCommand[];
  buildHooks?: Array<{
    event: string;
    priority: number;
    on_hook_failure?: 'fail' | 'warn' | 'skip';
    description?: string;
  }>;
}

export interface Target {
  provider: string;
  scopes: string[];
  description?: string;
}

export interface Manifest {
  name: string;
  version: string;
  author: string;
  description: string;
  /** The engine plugin API range the entry was written against (registry extension). */
  engineApi?: string;
  /** The ESM entry inside the archive (registry extension; default index.js). */
  main?: string;
  type: PluginType;
  tier: PluginTier;
  license: string;
  source?: string;
  path?: string;
  status?: PluginStatus;
  capabilities?: Capabilities;
  iacProvider?: { name?: string; resourceTypes?: string[]; computePlanVersion?: 'v1' | 'v2' };
  checksums?: Record<string, string>;
  minEngineVersion?: string;
  keywords?: string[];
  homepage?: string;
  repository?: string;
  private?: boolean;
  downloads?: Download[];
  assets?: { ui?: boolean; config?: boolean };
  category?: string;
  dependencies?: Array<{ name: string; minVersion?: string; maxVersion?: string }>;
  required_secrets?: Array<{ name: string; sensitive: boolean; description?: string; prompt?: string }>;
  required_config?: Array<{ name: string; key?: string; sensitive?: boolean; description?: string; prompt?: string }>;
  secret_targets?: Target[];
  config_targets?: Target[];
  /** Registry extension: this version is withdrawn from range resolution and `latest`. */
  yanked?: { reason: string };
}
