// One license validator per tenant (license/'s LicenseValidator), kept in step with the tenants'
// license Secrets: a new key replaces the validator, a tenant that goes away drops it. Validators
// refresh in the background; the webhook and the controllers only ever read status() (no I/O).
// Also posts each tenant's usage to the license server, authenticated by the tenant's own key.
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { LicenseValidator, type LicenseStatus } from '../../license/index.ts';
import type { TenantUsage } from './types.ts';

export interface LicenseBookOptions {
  publicKey?: KeyObject;
  serverUrl?: string;
  cacheTtlMs?: number;
  gracePeriodMs?: number;
  refreshIntervalMs?: number;
  logger?: Logger;
  now?: () => number;
  /** A tenant's verdict changed (first answer, expiry, revocation, grace). */
  onChange?: (tenant: string) => void;
}

interface Entry {
  key: string;
  validator: LicenseValidator;
  reported?: { json: string; at: number };
}

/** Unchanged usage is re-reported this often (the server shows when it last heard). */
const reportEveryMs = 10 * 60_000;

export class LicenseBook {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: LicenseBookOptions = {}) {}

  get serverUrl(): string | undefined {
    return this.opts.serverUrl || undefined;
  }

  /**
   * The tenant's key is `key` (empty: none). A changed key gets a new validator, started at once;
   * `lastValidatedAt` (from the tenant's status) lets grace survive an operator restart.
   */
  sync(tenant: string, key: string, lastValidatedAt?: number): LicenseStatus {
    const entry = this.entries.get(tenant);
    if (entry && entry.key === key) return entry.validator.status();
    entry?.validator.stop();
    const validator = new LicenseValidator({
      key,
      publicKey: this.opts.publicKey,
      serverUrl: this.opts.serverUrl,
      cacheTtlMs: this.opts.cacheTtlMs,
      gracePeriodMs: this.opts.gracePeriodMs,
      refreshIntervalMs: this.opts.refreshIntervalMs,
      lastValidatedAt,
      now: this.opts.now,
      logger: this.opts.logger
        ? {
            warn: (o, m) => this.opts.logger!.warn({ tenant, ...o }, m),
            info: (o, m) => this.opts.logger!.info({ tenant, ...o }, m),
          }
        : undefined,
    });
    this.entries.set(tenant, { key, validator });
    validator.onChange(() => this.opts.onChange?.(tenant));
    void validator.start().then(() => this.opts.onChange?.(tenant));
    return validator.status();
  }

  status(tenant: string): LicenseStatus | undefined {
    return this.entries.get(tenant)?.validator.status();
  }

  /** An online check of the tenant's license now (tests, `kubectl annotate` style refreshes). */
  async refresh(tenant: string): Promise<LicenseStatus | undefined> {
    return this.entries.get(tenant)?.validator.refresh();
  }

  forget(tenant: string): void {
    this.entries.get(tenant)?.validator.stop();
    this.entries.delete(tenant);
  }

  tenants(): string[] {
    return [...this.entries.keys()];
  }

  /** Posts usage to the license server when it changed (or every 10 min); never throws. */
  reportUsage(tenant: string, usage: TenantUsage & { pluginNames?: string[] }): void {
    const entry = this.entries.get(tenant);
    if (!this.opts.serverUrl || !entry?.key) return;
    const body = { tenant, apps: usage.apps, replicas: usage.replicas, plugins: usage.pluginNames ?? [] };
    const json = JSON.stringify(body);
    const now = (this.opts.now ?? Date.now)();
    if (entry.reported && entry.reported.json === json && now - entry.reported.at < reportEveryMs) return;
    entry.reported = { json, at: now };
    void fetch(`${this.opts.serverUrl.replace(/\/+$/, '')}/api/v1/usage`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...body, key: entry.key }),
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (res) => {
        if (!res.ok) throw new Error(`${res.status}: ${(await res.text()).slice(0, 200)}`);
      })
      .catch((err: Error) => {
        entry.reported = undefined; // try again next time
        this.opts.logger?.warn({ tenant, err: err.message }, 'usage report to the license server failed');
      });
  }

  stop(): void {
    for (const e of this.entries.values()) e.validator.stop();
    this.entries.clear();
  }
}
