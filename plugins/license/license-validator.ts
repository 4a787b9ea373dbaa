// license.validator (UPSTREAM.md 7.1-7.3) over the one validator in license/: the offline wflic.v1
// signature check first (public_key, else WORKFLOW_LICENSE_PUBLIC_KEY), then, with server_url,
// `POST {server_url}/validate {"key"}` cached for cache_ttl, refreshed in the background every
// refresh_interval, valid through server outages for grace_period after the last successful check.
// Unlike upstream it fails closed: no key (or a key nothing can verify) is not licensed, instead of a
// synthesised "starter" license. Routed to, GET returns {valid, license?, error?, cached_until}.
import { existsSync, readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppContext, ConfigMap, HttpHandler, Logger, Module, ModuleSpec, TypeSchema } from '../../engine/index.ts';
import {
  LicenseValidator as Validator,
  licenseInfo as infoOf,
  parsePublicKey,
  type LicenseInfo,
  type LicenseStatus,
  type ValidationResult,
} from '../../license/index.ts';
import { ConfigReader, writeJson } from '../support/index.ts';

export type { LicenseInfo };
export type LicenseResult = ValidationResult;

export const licenseValidatorSchema: TypeSchema = {
  description:
    'License validation: offline wflic.v1 signature check, then a license server with cache, grace period and ' +
    'background refresh; no key means not licensed',
  configFields: [
    { key: 'server_url', type: 'string', description: 'License server base URL; empty = offline check only' },
    {
      key: 'license_key',
      type: 'string',
      description: 'License key; default env WORKFLOW_LICENSE_KEY ("$VAR" reads that variable)',
    },
    {
      key: 'public_key',
      type: 'string',
      description:
        'Public key (PEM text or a file path) for the offline check; default env WORKFLOW_LICENSE_PUBLIC_KEY',
    },
    { key: 'cache_ttl', type: 'duration', default: '1h' },
    { key: 'grace_period', type: 'duration', default: '72h' },
    { key: 'refresh_interval', type: 'duration', default: '1h' },
  ],
};

export interface LicenseValidatorOptions {
  now?: () => number;
}

export class LicenseValidator implements Module, HttpHandler {
  readonly type = 'license.validator';
  private readonly validator: Validator;
  private logger?: Logger;

  constructor(
    readonly name: string,
    config: ConfigMap,
    opts: LicenseValidatorOptions = {},
  ) {
    const c = new ConfigReader(config);
    const publicKey = readPublicKeySetting(c.string('public_key') ?? process.env.WORKFLOW_LICENSE_PUBLIC_KEY);
    this.validator = new Validator({
      key: licenseKey(c.string('license_key')),
      publicKey,
      serverUrl: c.string('server_url') ?? '',
      cacheTtlMs: c.duration('cache_ttl', 3_600_000)!,
      gracePeriodMs: c.duration('grace_period', 72 * 3_600_000)!,
      refreshIntervalMs: c.duration('refresh_interval', 3_600_000)!,
      now: opts.now,
      logger: { warn: (o, m) => this.logger?.warn(o, m), info: (o, m) => this.logger?.info(o, m) },
    });
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'license.validator', module: this.name });
    if (!app.services.has('license-validator')) app.services.register('license-validator', this);
  }

  async start(): Promise<void> {
    const status = await this.validator.start();
    if (!status.valid)
      this.logger?.warn({ reason: status.reason, err: status.message }, 'not licensed; the app keeps running');
  }

  stop(): void {
    this.validator.stop();
  }

  /** The verdict now, without I/O. */
  status(): LicenseStatus {
    return this.validator.status();
  }

  /** Upstream's Validate: the cached answer while fresh, else an online check now. */
  validate(): Promise<ValidationResult> {
    return this.validator.validate();
  }

  /** A background refresh now (a failure keeps the cached answer). */
  async refresh(): Promise<void> {
    await this.validator.refresh();
  }

  licenseInfo(): LicenseInfo | undefined {
    const s = this.validator.status();
    return s.valid && s.claims ? infoOf(s.claims) : undefined;
  }

  checkFeature(feature: string): boolean {
    return this.licenseInfo()?.features.includes(feature) ?? false;
  }

  /** Undefined when the premium plugin may load, else why not (for the engine's plugin loader). */
  premiumPluginProblem(plugin: string): string | undefined {
    return this.validator.premiumPluginProblem(plugin);
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET') return writeJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET' });
    writeJson(res, 200, await this.validate());
  }
}

/** PEM text, or a path to a PEM file. */
function readPublicKeySetting(value: string | undefined): KeyObject | undefined {
  if (!value) return undefined;
  if (value.includes('-----BEGIN')) return parsePublicKey(value, 'public_key');
  if (!existsSync(value)) throw new Error(`public_key: ${value} is neither PEM text nor an existing file`);
  return parsePublicKey(readFileSync(value, 'utf8'), value);
}

/** Config key, else WORKFLOW_LICENSE_KEY; a bare "$NAME" reads that variable (upstream leaves it literal). */
function licenseKey(configured: string | undefined): string {
  const ref = configured ? /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(configured) : null;
  if (ref) return process.env[ref[1]!] ?? '';
  return configured || process.env.WORKFLOW_LICENSE_KEY || '';
}

export function createLicenseValidator(spec: ModuleSpec): LicenseValidator {
  return new LicenseValidator(spec.name, spec.config);
}
