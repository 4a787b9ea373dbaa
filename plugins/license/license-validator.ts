// license.validator (UPSTREAM.md 7.1-7.3). Without server_url it synthesises an offline "starter"
// license. With one, it validates `POST {server_url}/validate {"key"}`, caches the answer for
// cache_ttl, keeps a valid license through server outages for grace_period after the last
// successful check, and refreshes in the background every refresh_interval. Routed to, GET returns
// {valid, license?, error?, cached_until}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext, ConfigMap, HttpHandler, Logger, Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, formatGoDuration, writeJson } from '../support/index.ts';

export interface LicenseInfo {
  key: string;
  tier: 'starter' | 'professional' | 'enterprise' | string;
  organization: string;
  expires_at: string;
  max_workflows: number;
  max_plugins: number;
  features: string[];
}

export interface LicenseResult {
  valid: boolean;
  license?: LicenseInfo;
  error?: string;
  cached_until: string;
}

export const licenseValidatorSchema: TypeSchema = {
  description:
    'License validation against a license server, with cache, grace period and background refresh; offline starter license without a server',
  configFields: [
    { key: 'server_url', type: 'string', description: 'License server base URL; empty = offline starter mode' },
    {
      key: 'license_key',
      type: 'string',
      description: 'License key; default env WORKFLOW_LICENSE_KEY ("$VAR" reads that variable)',
    },
    { key: 'cache_ttl', type: 'duration', default: '1h' },
    { key: 'grace_period', type: 'duration', default: '72h' },
    { key: 'refresh_interval', type: 'duration', default: '1h' },
  ],
};

const REQUEST_TIMEOUT_MS = 10_000;
const REFRESH_TIMEOUT_MS = 15_000;
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface LicenseValidatorOptions {
  now?: () => number;
}

export class LicenseValidator implements Module, HttpHandler {
  readonly type = 'license.validator';
  private readonly serverUrl: string;
  private readonly key: string;
  private readonly cacheTtlMs: number;
  private readonly graceMs: number;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private cached?: LicenseResult;
  private lastValidatedAt?: number;
  private timer?: NodeJS.Timeout;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
    opts: LicenseValidatorOptions = {},
  ) {
    const c = new ConfigReader(config);
    this.serverUrl = (c.string('server_url') ?? '').replace(/\/+$/, '');
    this.key = licenseKey(c.string('license_key'));
    this.cacheTtlMs = c.duration('cache_ttl', 3_600_000)!;
    this.graceMs = c.duration('grace_period', 72 * 3_600_000)!;
    this.refreshMs = c.duration('refresh_interval', 3_600_000)!;
    this.now = opts.now ?? Date.now;
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'license.validator', module: this.name });
    if (!app.services.has('license-validator')) app.services.register('license-validator', this);
  }

  async start(): Promise<void> {
    try {
      await this.validate();
    } catch (err) {
      this.cached = { valid: false, error: (err as Error).message, cached_until: new Date(this.now()).toISOString() };
      this.logger?.warn({ err: (err as Error).message }, 'initial license validation failed; the app keeps running');
    }
    if (this.serverUrl && this.refreshMs > 0) {
      this.timer = setInterval(() => void this.refresh(), this.refreshMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get offline(): boolean {
    return this.serverUrl === '';
  }

  /** The current license answer; throws only when there is no usable answer at all. */
  async validate(): Promise<LicenseResult> {
    const now = this.now();
    if (this.cached && this.lastValidatedAt !== undefined && now < Date.parse(this.cached.cached_until))
      return this.cached;
    if (this.offline) return this.remember(this.starterLicense(now), now);
    try {
      return this.remember(await this.fetchRemote(REQUEST_TIMEOUT_MS), now);
    } catch (err) {
      return this.onUnreachable(err as Error, now);
    }
  }

  licenseInfo(): LicenseInfo | undefined {
    return this.cached?.valid ? this.cached.license : undefined;
  }

  checkFeature(feature: string): boolean {
    return this.licenseInfo()?.features.includes(feature) ?? false;
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET') return writeJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET' });
    try {
      writeJson(res, 200, await this.validate());
    } catch (err) {
      writeJson(res, 500, { error: (err as Error).message });
    }
  }

  /** Background refresh: a success replaces the cache, a failure keeps the old answer. */
  async refresh(): Promise<void> {
    const now = this.now();
    try {
      this.remember(await this.fetchRemote(REFRESH_TIMEOUT_MS), now);
    } catch (err) {
      this.logger?.warn({ err: (err as Error).message }, 'license refresh failed; keeping the cached result');
    }
  }

  private remember(result: Omit<LicenseResult, 'cached_until'>, now: number): LicenseResult {
    this.cached = { ...result, cached_until: new Date(now + this.cacheTtlMs).toISOString() };
    this.lastValidatedAt = now;
    return this.cached;
  }

  private onUnreachable(err: Error, now: number): LicenseResult {
    const cached = this.cached;
    if (cached?.valid && this.lastValidatedAt !== undefined) {
      if (now < this.lastValidatedAt + this.graceMs) {
        this.logger?.warn(
          { err: err.message },
          'license server unreachable; using the cached license within the grace period',
        );
        this.cached = { ...cached, cached_until: new Date(now + this.cacheTtlMs).toISOString() };
        return this.cached;
      }
      this.cached = {
        valid: false,
        error: `license server unreachable and grace period of ${formatGoDuration(this.graceMs)} expired`,
        cached_until: new Date(now + this.cacheTtlMs).toISOString(),
      };
      return this.cached;
    }
    throw new Error(`license validation failed: ${err.message}`);
  }

  private async fetchRemote(timeoutMs: number): Promise<Omit<LicenseResult, 'cached_until'>> {
    const res = await fetch(`${this.serverUrl}/validate`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: this.key }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: { valid?: unknown; license?: LicenseInfo; error?: string } = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      if (res.ok) throw new Error(`license server answered non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) throw new Error(`license server returned ${res.status}${body.error ? `: ${body.error}` : ''}`);
    return {
      valid: body.valid === true,
      ...(body.license ? { license: body.license } : {}),
      ...(body.error ? { error: body.error } : {}),
    };
  }

  private starterLicense(now: number): Omit<LicenseResult, 'cached_until'> {
    return {
      valid: true,
      license: {
        key: this.key,
        tier: 'starter',
        organization: 'local',
        expires_at: new Date(now + YEAR_MS).toISOString(),
        max_workflows: 3,
        max_plugins: 5,
        features: [],
      },
    };
  }
}

/** Config key, else WORKFLOW_LICENSE_KEY; a bare "$NAME" reads that variable (upstream leaves it literal). */
function licenseKey(configured: string | undefined): string {
  const ref = configured ? /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(configured) : null;
  if (ref) return process.env[ref[1]] ?? '';
  return configured || process.env.WORKFLOW_LICENSE_KEY || '';
}

export function createLicenseValidator(spec: ModuleSpec): LicenseValidator {
  return new LicenseValidator(spec.name, spec.config);
}
