// The license validator: the one implementation the admission webhook, the operator and the engine's
// license.validator module use (UPSTREAM.md 7.3, made fail-closed).
//
//   key -> offline check (signature, expiry; no network) -> online answer (POST {server}/validate,
//       cached for cacheTtl, refreshed in the background by node-cron) -> status()
//
// - No key, a bad signature, an expired or not-yet-valid token: not licensed, whatever a server says.
// - Without a server the offline check decides. A key that is not a wflic token, or a token without
//   a public key to check it, cannot be verified offline: not licensed.
// - With a server, its last answer decides (revocation is honoured there). When the server cannot be
//   reached, a valid answer stays valid for gracePeriod after the last successful online check, then
//   the license is invalid (GraceExpired). A failed refresh never drops a good cached answer.
// status() never touches the network: it is what the webhook calls on the request path.
import type { KeyObject } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import {
  isoSeconds,
  licenseInfo,
  premiumPluginProblem,
  tiers,
  type LicenseClaims,
  type LicenseInfo,
  type Tier,
} from './claims.ts';
import { checkValidityWindow, LicenseTokenError, looksLikeToken, verifySignature, type TokenProblem } from './token.ts';

export type LicenseReason =
  | 'Valid'
  | 'NoKey'
  | 'Malformed'
  | 'WrongKey'
  | 'Tampered'
  | 'Expired'
  | 'NotYetValid'
  | 'Unverifiable'
  | 'Revoked'
  | 'Rejected'
  | 'NotValidatedYet'
  | 'GraceExpired';

export interface LicenseStatus {
  valid: boolean;
  reason: LicenseReason;
  /** One sentence that says why (and what to do when not valid). */
  message: string;
  claims?: LicenseClaims;
  /** offline: the signature alone; online: the server's fresh answer; grace: the server is unreachable. */
  source: 'offline' | 'online' | 'grace' | 'none';
  /** Last successful online check (ms since the epoch). */
  lastValidatedAt?: number;
  /** Why the last online check failed, while it keeps failing. */
  serverError?: string;
}

/** Upstream's ValidationResult: what /validate and the engine module's GET answer. */
export interface ValidationResult {
  valid: boolean;
  license?: LicenseInfo;
  error?: string;
  cached_until: string;
}

export interface ValidatorLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface ValidatorOptions {
  /** The license key: a wflic.v1 token (or, with a server, an opaque key). Empty = not licensed. */
  key?: string;
  /** Public key for the offline check. */
  publicKey?: KeyObject;
  /** License server base URL (POST {serverUrl}/validate). */
  serverUrl?: string;
  /** How long an online answer is fresh (default 1 h). */
  cacheTtlMs?: number;
  /** How long a valid answer survives an unreachable server, from the last successful check (72 h). */
  gracePeriodMs?: number;
  /** Background refresh interval (default 1 h); 0 turns the schedule off. */
  refreshIntervalMs?: number;
  /** A successful online check made before this validator existed (e.g. recorded in a status). */
  lastValidatedAt?: number;
  requestTimeoutMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
  logger?: ValidatorLogger;
}

interface OnlineAnswer {
  at: number;
  valid: boolean;
  license?: LicenseInfo;
  error?: string;
  reason?: string;
}

const HOUR = 3_600_000;

/** Go-style duration text for messages: 72h, 90m, 30s. */
export function formatDuration(ms: number): string {
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/** A node-cron schedule (6 fields, seconds first) that fires about every `ms`. */
export function refreshSchedule(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `*/${s} * * * * *`;
  const m = Math.round(s / 60);
  if (m < 60) return `0 */${m} * * * *`;
  const h = Math.round(m / 60);
  if (h < 24) return `0 0 */${h} * * *`;
  return '0 0 0 * * *';
}

const problemReason: Record<TokenProblem, LicenseReason> = {
  malformed: 'Malformed',
  'wrong-key': 'WrongKey',
  tampered: 'Tampered',
  expired: 'Expired',
  'not-yet-valid': 'NotYetValid',
};

function claimsFromInfo(info: LicenseInfo): LicenseClaims {
  const expires = Date.parse(info.expires_at);
  const issued = info.issued_at ? Date.parse(info.issued_at) : Number.NaN;
  return {
    licenseId: info.key,
    tenant: info.tenant ?? '',
    organization: info.organization ?? '',
    tier: ((tiers as readonly string[]).includes(info.tier) ? info.tier : 'starter') as Tier,
    features: Array.isArray(info.features) ? info.features : [],
    maxApps: info.max_workflows ?? 0,
    maxReplicas: info.max_replicas ?? 0,
    maxPlugins: info.max_plugins ?? 0,
    issuedAt: Number.isNaN(issued) ? 0 : Math.floor(issued / 1000),
    expiresAt: Number.isNaN(expires) ? 0 : Math.floor(expires / 1000),
  };
}

export class LicenseValidator {
  private readonly key: string;
  private readonly serverUrl: string;
  private readonly cacheTtlMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;
  /** The offline verdict: claims with a good signature, or why the token is bad. */
  private readonly offline?: { claims: LicenseClaims } | { error: LicenseTokenError };
  private answer?: OnlineAnswer;
  private seededAt?: number;
  private failure?: { at: number; message: string };
  private task?: ScheduledTask;
  private readonly listeners = new Set<(s: LicenseStatus) => void>();
  private lastSignature = '';
  private inflight?: Promise<LicenseStatus>;

  constructor(private readonly opts: ValidatorOptions = {}) {
    this.key = (opts.key ?? '').trim();
    this.serverUrl = (opts.serverUrl ?? '').replace(/\/+$/, '');
    this.cacheTtlMs = opts.cacheTtlMs ?? HOUR;
    this.graceMs = opts.gracePeriodMs ?? 72 * HOUR;
    this.now = opts.now ?? Date.now;
    this.seededAt = opts.lastValidatedAt;
    if (this.key && looksLikeToken(this.key) && opts.publicKey) {
      // The validity window is checked at each status(): a token may expire while the validator lives.
      try {
        this.offline = { claims: verifySignature(this.key, opts.publicKey) };
      } catch (err) {
        if (!(err instanceof LicenseTokenError)) throw err;
        this.offline = { error: err };
      }
    }
    this.lastSignature = signatureOf(this.status());
  }

  /** The license key's server, if any. */
  get server(): string | undefined {
    return this.serverUrl || undefined;
  }

  /** The current verdict, from what is known now. Never does I/O. */
  status(): LicenseStatus {
    const now = this.now();
    if (!this.key)
      return {
        valid: false,
        reason: 'NoKey',
        message: 'no license key: set one (a WorkflowTenant licenseSecretRef, license_key or WORKFLOW_LICENSE_KEY)',
        source: 'none',
      };
    let claims: LicenseClaims | undefined;
    if (this.offline) {
      if ('error' in this.offline)
        return {
          valid: false,
          reason: problemReason[this.offline.error.problem],
          message: this.offline.error.message,
          claims: this.offline.error.claims,
          source: 'offline',
        };
      try {
        claims = checkValidityWindow(this.offline.claims, now);
      } catch (err) {
        const e = err as LicenseTokenError;
        return {
          valid: false,
          reason: problemReason[e.problem],
          message: e.message,
          claims: e.claims,
          source: 'offline',
        };
      }
    }
    const online = {
      lastValidatedAt: this.lastSuccess(),
      ...(this.failure ? { serverError: this.failure.message } : {}),
    };
    if (!this.serverUrl) {
      if (claims)
        return {
          valid: true,
          reason: 'Valid',
          message: `license ${claims.licenseId} verified offline`,
          claims,
          source: 'offline',
        };
      return {
        valid: false,
        reason: 'Unverifiable',
        message: looksLikeToken(this.key)
          ? 'the license token cannot be verified: no public key to check its signature and no license server'
          : 'the license key is not a wflic.v1 token and no license server is configured to validate it',
        source: 'none',
      };
    }
    const answer = this.answer;
    if (answer && !answer.valid) {
      const revoked = answer.reason === 'revoked' || /revoked/i.test(answer.error ?? '');
      return {
        valid: false,
        reason: revoked ? 'Revoked' : 'Rejected',
        message: answer.error ?? 'the license server rejected the license',
        claims: claims ?? (answer.license ? claimsFromInfo(answer.license) : undefined),
        source: 'online',
        ...online,
      };
    }
    const known = claims ?? (answer?.license ? claimsFromInfo(answer.license) : undefined);
    if (answer && now < answer.at + this.cacheTtlMs && !this.failure) {
      if (!claims && known) {
        // An opaque key: the server's expiry is all there is to check.
        if (known.expiresAt && Math.floor(now / 1000) > known.expiresAt)
          return {
            valid: false,
            reason: 'Expired',
            message: `license ${known.licenseId} expired at ${isoSeconds(known.expiresAt)}`,
            claims: known,
            source: 'online',
            ...online,
          };
      }
      return {
        valid: true,
        reason: 'Valid',
        message: `license ${known?.licenseId ?? ''} validated by ${this.serverUrl}`.replace('  ', ' '),
        claims: known,
        source: 'online',
        ...online,
      };
    }
    const last = this.lastSuccess();
    const lastWasValid = answer ? answer.valid : this.seededAt !== undefined && claims !== undefined;
    if (last === undefined || !lastWasValid || !known) {
      return {
        valid: false,
        reason: 'NotValidatedYet',
        message:
          `the license has not been validated by ${this.serverUrl} ` +
          `yet${this.failure ? `: ${this.failure.message}` : ''}`,
        claims: known,
        source: 'none',
        ...online,
      };
    }
    const until = last + this.graceMs;
    const unreachable = this.failure ? `license server ${this.serverUrl} unreachable (${this.failure.message})` : '';
    if (now >= until)
      return {
        valid: false,
        reason: 'GraceExpired',
        message:
          `license server unreachable and grace period of ${formatDuration(this.graceMs)} expired at ` +
          `${new Date(until).toISOString()}${this.failure ? ` (${this.failure.message})` : ''}`,
        claims: known,
        source: 'grace',
        ...online,
      };
    return {
      valid: true,
      reason: 'Valid',
      message:
        `${unreachable || `license ${known.licenseId} not re-validated since ${new Date(last).toISOString()}`}; ` +
        `valid within the grace period until ${new Date(until).toISOString()}`,
      claims: known,
      source: 'grace',
      ...online,
    };
  }

  /** May `plugin`, a premium plugin, be used? Undefined when yes, else why not. */
  premiumPluginProblem(plugin: string): string | undefined {
    const s = this.status();
    if (!s.valid || !s.claims) return `premium plugin "${plugin}" needs a valid license: ${s.message}`;
    return premiumPluginProblem(s.claims, plugin);
  }

  /**
   * Upstream's Validate: the cached answer while fresh, else an online check now (a failed check
   * falls back to the grace rules). Without a server, the offline verdict.
   */
  async validate(): Promise<ValidationResult> {
    const now = this.now();
    if (this.serverUrl && !(this.answer && now < this.answer.at + this.cacheTtlMs && !this.failure))
      await this.refresh();
    const s = this.status();
    const fresh = this.answer && !this.failure ? this.answer.at + this.cacheTtlMs : now + this.cacheTtlMs;
    return {
      valid: s.valid,
      ...(s.claims ? { license: licenseInfo(s.claims) } : {}),
      ...(s.valid ? {} : { error: s.message }),
      cached_until: new Date(Math.max(fresh, now)).toISOString(),
    };
  }

  /** One online check now (the background schedule calls this). Never throws. */
  refresh(): Promise<LicenseStatus> {
    if (!this.serverUrl || !this.key || (this.offline && 'error' in this.offline)) {
      this.notify();
      return Promise.resolve(this.status());
    }
    this.inflight ??= this.check().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** First online check (when there is a server), then the background refresh schedule. */
  async start(): Promise<LicenseStatus> {
    const status = await this.refresh();
    const every = this.opts.refreshIntervalMs ?? HOUR;
    if (every > 0 && !this.task)
      this.task = cron.schedule(refreshSchedule(every), () => void this.refresh(), {
        name: 'license-refresh',
        noOverlap: true,
      });
    return status;
  }

  stop(): void {
    this.task?.destroy();
    this.task = undefined;
    this.listeners.clear();
  }

  /** Called whenever the verdict (valid, reason or source) changes. */
  onChange(listener: (s: LicenseStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private lastSuccess(): number | undefined {
    return this.answer?.at ?? this.seededAt;
  }

  private async check(): Promise<LicenseStatus> {
    const started = this.now();
    try {
      const res = await (this.opts.fetch ?? fetch)(`${this.serverUrl}/validate`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: this.key }),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000),
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        throw new Error(`license server answered ${res.status} with non-JSON: ${text.slice(0, 120)}`);
      }
      if (!res.ok)
        throw new Error(
          `license server returned ${res.status}${typeof body.error === 'string' ? `: ${body.error}` : ''}`,
        );
      if (typeof body.valid !== 'boolean') throw new Error('license server answer has no "valid" boolean');
      this.answer = {
        at: started,
        valid: body.valid,
        license: (body.license as LicenseInfo | undefined) ?? undefined,
        error: typeof body.error === 'string' ? body.error : undefined,
        reason: typeof body.reason === 'string' ? body.reason : undefined,
      };
      this.failure = undefined;
    } catch (err) {
      const e = err as Error;
      const message =
        e.name === 'TimeoutError'
          ? 'timed out'
          : ((e.cause as Error | undefined)?.message ?? e.message).replace(/^fetch failed$/, 'connection failed');
      if (!this.failure)
        this.opts.logger?.warn(
          { server: this.serverUrl, err: message },
          'license server unreachable; keeping the cached answer',
        );
      this.failure = { at: started, message };
    }
    this.notify();
    return this.status();
  }

  private notify(): void {
    const s = this.status();
    const sig = signatureOf(s);
    if (sig === this.lastSignature) return;
    this.lastSignature = sig;
    for (const l of this.listeners) l(s);
  }
}

function signatureOf(s: LicenseStatus): string {
  return `${s.valid}/${s.reason}/${s.source}`;
}
