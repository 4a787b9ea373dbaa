// Issuing licenses: claims from a few options (what `wfctl license issue` takes), and a development
// license for `wfctl up` (its own key pair in a data dir, an enterprise license for every feature).
import { randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tiers, type LicenseClaims, type Tier } from './claims.ts';
import {
  keyId,
  privateKeyFileName,
  publicKeyFileName,
  readPrivateKeyFile,
  readPublicKeyFile,
  writeKeyPair,
} from './keys.ts';
import { signToken } from './token.ts';

export interface IssueOptions {
  tenant: string;
  tier: Tier | string;
  organization?: string;
  features?: string[];
  maxApps?: number;
  maxReplicas?: number;
  maxPlugins?: number;
  /** "30d", "12h", "90m", "1y", or a date (2027-01-31, RFC 3339). Default 365d. */
  expires?: string;
  /** Not valid before this date (same forms as expires); default: now. */
  notBefore?: string;
  licenseId?: string;
  now?: number;
}

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 };

/** "30d" / "2027-01-31" -> unix seconds. Throws with the accepted forms. */
export function parseWhen(value: string, nowMs: number, flag = '--expires'): number {
  const v = value.trim();
  const rel = /^(\d+)(s|m|h|d|w|y)$/.exec(v);
  if (rel) return Math.floor(nowMs / 1000) + Number(rel[1]) * units[rel[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new Error(`${flag} "${value}" is neither a duration (30d, 12h, 1y) nor a date (2027-01-31 or RFC 3339)`);
}

const namePattern = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function buildClaims(opts: IssueOptions): LicenseClaims {
  const now = opts.now ?? Date.now();
  if (!opts.tenant || !namePattern.test(opts.tenant))
    throw new Error(
      `tenant "${opts.tenant ?? ''}" must be a lower-case DNS name (letters, digits, '-', '.'), like the ` +
        `WorkflowTenant it licenses`,
    );
  if (!(tiers as readonly string[]).includes(opts.tier))
    throw new Error(`tier "${opts.tier}" is not one of ${tiers.join(', ')}`);
  for (const [name, v] of [
    ['--max-apps', opts.maxApps],
    ['--max-replicas', opts.maxReplicas],
    ['--max-plugins', opts.maxPlugins],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new Error(`${name} must be a non-negative integer (0 = no limit), got ${v}`);
  }
  const issuedAt = Math.floor(now / 1000);
  const expiresAt = parseWhen(opts.expires ?? '365d', now);
  const notBefore = opts.notBefore ? parseWhen(opts.notBefore, now, '--not-before') : undefined;
  if (expiresAt <= (notBefore ?? issuedAt)) throw new Error('--expires must be after the license starts');
  const features = (opts.features ?? []).map((f) => f.trim()).filter(Boolean);
  return {
    licenseId: opts.licenseId ?? `lic-${randomBytes(6).toString('hex')}`,
    tenant: opts.tenant,
    organization: opts.organization ?? opts.tenant,
    tier: opts.tier as Tier,
    features: [...new Set(features)],
    maxApps: opts.maxApps ?? 0,
    maxReplicas: opts.maxReplicas ?? 0,
    maxPlugins: opts.maxPlugins ?? 0,
    issuedAt,
    expiresAt,
    ...(notBefore !== undefined ? { notBefore } : {}),
  };
}

export function issueLicense(opts: IssueOptions, privateKey: KeyObject): { token: string; claims: LicenseClaims } {
  const claims = { ...buildClaims(opts), keyId: keyId(privateKey) };
  return { token: signToken(claims, privateKey), claims };
}

export interface DevLicense {
  token: string;
  claims: LicenseClaims;
  publicKey: KeyObject;
  publicKeyPem: string;
  keyPath: string;
  pubPath: string;
}

/**
 * A development license for `wfctl up`: the key pair in DIR (made on first use, kept after), and a
 * fresh enterprise license for `tenant` with every feature and no limits, valid for 30 days.
 */
export function issueDevLicense(opts: { dir: string; tenant?: string; expires?: string }): DevLicense {
  const keyPath = join(opts.dir, privateKeyFileName);
  const pubPath = join(opts.dir, publicKeyFileName);
  if (!existsSync(keyPath)) writeKeyPair(opts.dir);
  const privateKey = readPrivateKeyFile(keyPath);
  const { token, claims } = issueLicense(
    {
      tenant: opts.tenant ?? 'default',
      tier: 'enterprise',
      organization: 'development',
      features: ['*'],
      expires: opts.expires ?? '30d',
    },
    privateKey,
  );
  return {
    token,
    claims,
    publicKey: readPublicKeyFile(pubPath),
    publicKeyPem: readFileSync(pubPath, 'utf8'),
    keyPath,
    pubPath,
  };
}
