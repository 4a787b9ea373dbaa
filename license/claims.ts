// What a license says: the claims signed into a wflic.v1 token, and the upstream LicenseInfo shape
// that the license server and the engine's license.validator answer with (UPSTREAM.md 7.2, 7.4).
//
// Wire payload keys follow upstream's pkg/license so tokens travel both ways: lid, tid, org, tier,
// feat, max_wf, max_pl, iat, exp. Ours adds max_rep (replicas), nbf (not before) and kid (which
// key signed it); upstream's parser ignores keys it does not know.

export const tiers = ['starter', 'professional', 'enterprise'] as const;
export type Tier = (typeof tiers)[number];

/** Tiers whose licenses may carry premium plugins (upstream: professional or enterprise). */
export const premiumTiers: readonly Tier[] = ['professional', 'enterprise'];

/** A feature entry that licenses every premium plugin. */
export const allFeatures = '*';

export interface LicenseClaims {
  licenseId: string;
  tenant: string;
  organization: string;
  tier: Tier;
  /** Premium plugin names (registry ids) and feature flags; `*` for all. */
  features: string[];
  /** 0 = no limit. */
  maxApps: number;
  maxReplicas: number;
  maxPlugins: number;
  /** Unix seconds. */
  issuedAt: number;
  expiresAt: number;
  /** Unix seconds; the token is not valid before. Upstream tokens have none (issuedAt counts). */
  notBefore?: number;
  /** Fingerprint of the signing public key (keys.ts keyId), so a wrong key is told from tampering. */
  keyId?: string;
}

/** The signed JSON payload, upstream's key names. */
export interface TokenPayload {
  lid: string;
  tid: string;
  org: string;
  tier: string;
  feat: string[] | null;
  max_wf: number;
  max_pl: number;
  iat: number;
  exp: number;
  max_rep?: number;
  nbf?: number;
  kid?: string;
}

export function toPayload(c: LicenseClaims): TokenPayload {
  const p: TokenPayload = {
    lid: c.licenseId,
    tid: c.tenant,
    org: c.organization,
    tier: c.tier,
    feat: c.features,
    max_wf: c.maxApps,
    max_pl: c.maxPlugins,
    iat: c.issuedAt,
    exp: c.expiresAt,
  };
  if (c.maxReplicas) p.max_rep = c.maxReplicas;
  if (c.notBefore !== undefined) p.nbf = c.notBefore;
  if (c.keyId) p.kid = c.keyId;
  return p;
}

/** Checks the payload's shape; throws an Error naming the bad key. */
export function fromPayload(value: unknown): LicenseClaims {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error('payload is not a JSON object');
  const p = value as Record<string, unknown>;
  const str = (k: string, required = true): string => {
    const v = p[k];
    if (v === undefined && !required) return '';
    if (typeof v !== 'string') throw new Error(`payload key "${k}" must be a string`);
    return v;
  };
  const int = (k: string, required: boolean): number => {
    const v = p[k];
    if (v === undefined || v === null) {
      if (required) throw new Error(`payload key "${k}" is missing`);
      return 0;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      throw new Error(`payload key "${k}" must be a non-negative integer`);
    return v;
  };
  const tier = str('tier');
  if (!(tiers as readonly string[]).includes(tier))
    throw new Error(`payload key "tier" is "${tier}"; expected one of ${tiers.join(', ')}`);
  const feat = p.feat ?? [];
  if (!Array.isArray(feat) || feat.some((f) => typeof f !== 'string'))
    throw new Error('payload key "feat" must be a list of strings');
  const claims: LicenseClaims = {
    licenseId: str('lid'),
    tenant: str('tid', false),
    organization: str('org', false),
    tier: tier as Tier,
    features: feat as string[],
    maxApps: int('max_wf', false),
    maxReplicas: int('max_rep', false),
    maxPlugins: int('max_pl', false),
    issuedAt: int('iat', true),
    expiresAt: int('exp', true),
  };
  if (p.nbf !== undefined) claims.notBefore = int('nbf', true);
  if (p.kid !== undefined) claims.keyId = str('kid');
  if (!claims.licenseId) throw new Error('payload key "lid" (license id) is empty');
  return claims;
}

/** Upstream's LicenseInfo (licensing/license.go), plus our tenant, replicas and dates. */
export interface LicenseInfo {
  key: string;
  tier: string;
  organization: string;
  expires_at: string;
  max_workflows: number;
  max_plugins: number;
  features: string[];
  tenant?: string;
  max_replicas?: number;
  issued_at?: string;
}

export function licenseInfo(c: LicenseClaims): LicenseInfo {
  return {
    key: c.licenseId,
    tier: c.tier,
    organization: c.organization,
    expires_at: isoSeconds(c.expiresAt),
    max_workflows: c.maxApps,
    max_plugins: c.maxPlugins,
    features: c.features,
    tenant: c.tenant,
    max_replicas: c.maxReplicas,
    issued_at: isoSeconds(c.issuedAt),
  };
}

export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Whether the claims license a premium plugin, and if not why. Upstream's rule (UPSTREAM.md 4.4):
 * tier professional or enterprise, and the plugin's name (or `*`) among the features.
 */
export function premiumPluginProblem(c: LicenseClaims, plugin: string): string | undefined {
  if (!premiumTiers.includes(c.tier))
    return (
      `license ${c.licenseId} is tier ${c.tier}, which does not permit premium plugins (professional or ` +
      `enterprise do)`
    );
  if (!c.features.includes(plugin) && !c.features.includes(allFeatures))
    return (
      `license ${c.licenseId} (tier ${c.tier}) does not include premium plugin "${plugin}" (features: ` +
      `${c.features.join(', ') || 'none'})`
    );
  return undefined;
}
