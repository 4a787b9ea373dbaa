// The license server's state in SQLite (better-sqlite3): tenants, licenses seen or registered,
// revocations, and the latest usage report of each tenant (plus a short history).
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import type { LicenseClaims } from '../claims.ts';

export interface TenantRecord {
  id: string;
  displayName: string;
  suspended: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface LicenseRecord {
  id: string;
  tenant: string;
  organization: string;
  tier: string;
  features: string[];
  maxApps: number;
  maxReplicas: number;
  maxPlugins: number;
  issuedAt: string;
  expiresAt: string;
  registeredAt: string;
  lastValidatedAt: string | null;
  validations: number;
  revoked?: RevocationRecord;
}

export interface RevocationRecord {
  licenseId: string;
  reason: string;
  revokedAt: string;
}

export interface UsageReport {
  tenant: string;
  apps: number;
  replicas: number;
  plugins: string[];
  licenseId: string | null;
  reporter: string;
  reportedAt: string;
}

const historyPerTenant = 500;

const schema = `
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY, display_name TEXT NOT NULL DEFAULT '', suspended INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS licenses (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, organization TEXT NOT NULL, tier TEXT NOT NULL,
  features TEXT NOT NULL, max_apps INTEGER NOT NULL, max_replicas INTEGER NOT NULL, max_plugins INTEGER NOT NULL,
  issued_at TEXT NOT NULL, expires_at TEXT NOT NULL, token TEXT NOT NULL, registered_at TEXT NOT NULL,
  last_validated_at TEXT, validations INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS licenses_by_tenant ON licenses (tenant);
CREATE TABLE IF NOT EXISTS revocations (
  license_id TEXT PRIMARY KEY, reason TEXT NOT NULL, revoked_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS usage (
  tenant TEXT PRIMARY KEY, apps INTEGER NOT NULL, replicas INTEGER NOT NULL, plugins TEXT NOT NULL,
  license_id TEXT, reporter TEXT NOT NULL, reported_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS usage_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, apps INTEGER NOT NULL, replicas INTEGER NOT NULL,
  plugins TEXT NOT NULL, reported_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS usage_history_by_tenant ON usage_history (tenant, id);
`;

type Row = Record<string, unknown>;

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

function tenantFrom(r: Row): TenantRecord {
  return {
    id: r.id as string,
    displayName: r.display_name as string,
    suspended: r.suspended === 1,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

function licenseFrom(r: Row): LicenseRecord {
  const rec: LicenseRecord = {
    id: r.id as string,
    tenant: r.tenant as string,
    organization: r.organization as string,
    tier: r.tier as string,
    features: JSON.parse(r.features as string) as string[],
    maxApps: r.max_apps as number,
    maxReplicas: r.max_replicas as number,
    maxPlugins: r.max_plugins as number,
    issuedAt: r.issued_at as string,
    expiresAt: r.expires_at as string,
    registeredAt: r.registered_at as string,
    lastValidatedAt: (r.last_validated_at as string | null) ?? null,
    validations: r.validations as number,
  };
  if (r.revoked_at)
    rec.revoked = { licenseId: rec.id, reason: r.revoke_reason as string, revokedAt: r.revoked_at as string };
  return rec;
}

function usageFrom(r: Row): UsageReport {
  return {
    tenant: r.tenant as string,
    apps: r.apps as number,
    replicas: r.replicas as number,
    plugins: JSON.parse(r.plugins as string) as string[],
    licenseId: (r.license_id as string | null) ?? null,
    reporter: r.reporter as string,
    reportedAt: r.reported_at as string,
  };
}

const licenseSelect = `SELECT l.*, r.reason AS revoke_reason, r.revoked_at FROM licenses l
  LEFT JOIN revocations r ON r.license_id = l.id`;

export class LicenseStore {
  readonly db: Db;
  private readonly stmts: Record<string, Statement>;

  constructor(
    dataDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, 'license.db');
    this.db = new Database(file);
    chmodSync(file, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(schema);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      tenant: p('SELECT * FROM tenants WHERE id = ?'),
      tenants: p('SELECT * FROM tenants ORDER BY id'),
      upsertTenant: p(`INSERT INTO tenants (id, display_name, suspended, created_at, updated_at)
        VALUES (@id, @displayName, @suspended, @now, @now)
        ON CONFLICT(id) DO UPDATE SET display_name = @displayName, suspended = @suspended, updated_at = @now`),
      deleteTenant: p('DELETE FROM tenants WHERE id = ?'),
      license: p(`${licenseSelect} WHERE l.id = ?`),
      licenses: p(`${licenseSelect} ORDER BY l.tenant, l.id`),
      licensesOf: p(`${licenseSelect} WHERE l.tenant = ? ORDER BY l.id`),
      insertLicense:
        p(`INSERT INTO licenses (id, tenant, organization, tier, features, max_apps, max_replicas, max_plugins,
        issued_at, expires_at, token, registered_at) VALUES (@id, @tenant, @organization, @tier, @features, @maxApps,
        @maxReplicas, @maxPlugins, @issuedAt, @expiresAt, @token, @now) ON CONFLICT(id) DO NOTHING`),
      validated: p('UPDATE licenses SET last_validated_at = ?, validations = validations + 1 WHERE id = ?'),
      revocation: p('SELECT * FROM revocations WHERE license_id = ?'),
      revocations: p('SELECT * FROM revocations ORDER BY revoked_at'),
      revoke: p(`INSERT INTO revocations (license_id, reason, revoked_at) VALUES (?, ?, ?)
        ON CONFLICT(license_id) DO UPDATE SET reason = excluded.reason`),
      unrevoke: p('DELETE FROM revocations WHERE license_id = ?'),
      usage: p('SELECT * FROM usage WHERE tenant = ?'),
      usages: p('SELECT * FROM usage ORDER BY tenant'),
      putUsage: p(`INSERT INTO usage (tenant, apps, replicas, plugins, license_id, reporter, reported_at)
        VALUES (@tenant, @apps, @replicas, @plugins, @licenseId, @reporter, @reportedAt)
        ON CONFLICT(tenant) DO UPDATE SET apps = @apps, replicas = @replicas, plugins = @plugins,
        license_id = @licenseId, reporter = @reporter, reported_at = @reportedAt`),
      addHistory: p(
        'INSERT INTO usage_history (tenant, apps, replicas, plugins, reported_at) VALUES (@tenant, @apps, ' +
          '@replicas, @plugins, @reportedAt)',
      ),
      trimHistory: p(`DELETE FROM usage_history WHERE tenant = ? AND id <= (
        SELECT id FROM usage_history WHERE tenant = ? ORDER BY id DESC LIMIT 1 OFFSET ${historyPerTenant})`),
      history: p('SELECT * FROM usage_history WHERE tenant = ? ORDER BY id DESC LIMIT ?'),
    };
  }

  close(): void {
    this.db.close();
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  tenant(id: string): TenantRecord | undefined {
    const r = this.stmts.tenant!.get(id) as Row | undefined;
    return r ? tenantFrom(r) : undefined;
  }

  tenants(): TenantRecord[] {
    return (this.stmts.tenants!.all() as Row[]).map(tenantFrom);
  }

  putTenant(id: string, fields: { displayName?: string; suspended?: boolean }): TenantRecord {
    const old = this.tenant(id);
    this.stmts.upsertTenant!.run({
      id,
      displayName: fields.displayName ?? old?.displayName ?? '',
      suspended: (fields.suspended ?? old?.suspended ?? false) ? 1 : 0,
      now: this.now().toISOString(),
    });
    return this.tenant(id)!;
  }

  deleteTenant(id: string): boolean {
    return this.stmts.deleteTenant!.run(id).changes > 0;
  }

  license(id: string): LicenseRecord | undefined {
    const r = this.stmts.license!.get(id) as Row | undefined;
    return r ? licenseFrom(r) : undefined;
  }

  licenses(tenant?: string): LicenseRecord[] {
    const rows = (tenant ? this.stmts.licensesOf!.all(tenant) : this.stmts.licenses!.all()) as Row[];
    return rows.map(licenseFrom);
  }

  /** Records a license (first sight or an admin registering it); a known id is left as it is. */
  recordLicense(claims: LicenseClaims, token: string): LicenseRecord {
    this.stmts.insertLicense!.run({
      id: claims.licenseId,
      tenant: claims.tenant,
      organization: claims.organization,
      tier: claims.tier,
      features: JSON.stringify(claims.features),
      maxApps: claims.maxApps,
      maxReplicas: claims.maxReplicas,
      maxPlugins: claims.maxPlugins,
      issuedAt: iso(claims.issuedAt),
      expiresAt: iso(claims.expiresAt),
      token,
      now: this.now().toISOString(),
    });
    return this.license(claims.licenseId)!;
  }

  markValidated(id: string): void {
    this.stmts.validated!.run(this.now().toISOString(), id);
  }

  revocation(licenseId: string): RevocationRecord | undefined {
    const r = this.stmts.revocation!.get(licenseId) as Row | undefined;
    return r
      ? { licenseId: r.license_id as string, reason: r.reason as string, revokedAt: r.revoked_at as string }
      : undefined;
  }

  revocations(): RevocationRecord[] {
    return (this.stmts.revocations!.all() as Row[]).map((r) => ({
      licenseId: r.license_id as string,
      reason: r.reason as string,
      revokedAt: r.revoked_at as string,
    }));
  }

  revoke(licenseId: string, reason: string): RevocationRecord {
    this.stmts.revoke!.run(licenseId, reason, this.now().toISOString());
    return this.revocation(licenseId)!;
  }

  unrevoke(licenseId: string): boolean {
    return this.stmts.unrevoke!.run(licenseId).changes > 0;
  }

  putUsage(report: Omit<UsageReport, 'reportedAt'>): UsageReport {
    const row = { ...report, plugins: JSON.stringify(report.plugins), reportedAt: this.now().toISOString() };
    this.db.transaction(() => {
      this.stmts.putUsage!.run(row);
      this.stmts.addHistory!.run(row);
      this.stmts.trimHistory!.run(report.tenant, report.tenant);
    })();
    return this.usage(report.tenant)!;
  }

  usage(tenant: string): UsageReport | undefined {
    const r = this.stmts.usage!.get(tenant) as Row | undefined;
    return r ? usageFrom(r) : undefined;
  }

  usages(): UsageReport[] {
    return (this.stmts.usages!.all() as Row[]).map(usageFrom);
  }

  usageHistory(tenant: string, limit = 100): Array<Omit<UsageReport, 'licenseId' | 'reporter'>> {
    return (this.stmts.history!.all(tenant, limit) as Row[]).map((r) => ({
      tenant: r.tenant as string,
      apps: r.apps as number,
      replicas: r.replicas as number,
      plugins: JSON.parse(r.plugins as string) as string[],
      reportedAt: r.reported_at as string,
    }));
  }
}
