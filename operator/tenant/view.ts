// What every operator replica knows about tenants, from informer caches: the WorkflowTenants, their
// namespaces, their license Secrets and apps; each tenant's license verdict (LicenseBook) and the
// registry's plugin tiers. The admission webhook decides from it (no network on the request path),
// the tenant controller reconciles from it, the app controller asks it for LicenseValid.
import type { KubernetesListObject, KubernetesObject, V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LicenseStatus } from '../../license/index.ts';
import * as api from '../api/constants.ts';
import * as tenantApi from '../api/tenant-constants.ts';
import { appKey, type WorkflowApp } from '../api/types.ts';
import type { KubeClient } from '../kube/client.ts';
import { ResilientInformer } from '../kube/informer.ts';
import type { PluginTierSource } from '../plugins/tiers.ts';
import type { Clock } from '../../common/index.ts';
import { LicenseBook, type LicenseBookOptions } from './license-book.ts';
import type { WorkflowTenant } from './types.ts';
import { footprint, sumUsage, type AppFootprint } from './usage.ts';

export interface TenantViewOptions {
  client: KubeClient;
  tiers: PluginTierSource;
  licenses: Omit<LicenseBookOptions, 'onChange'>;
  logger: Logger;
  clock?: Clock;
  now?: () => number;
}

type Listener = (tenant: string) => void;

/** An app admitted moments ago that the cache may not show yet: counted until it does (30 s at most). */
interface Reservation extends AppFootprint {
  tenant: string;
  until: number;
}

const reservationMs = 30_000;

export class TenantView {
  readonly licenses: LicenseBook;
  readonly tiers: PluginTierSource;
  private readonly tenantsInformer: ResilientInformer<WorkflowTenant & KubernetesObject>;
  private readonly namespaces: ResilientInformer<V1Namespace>;
  private readonly secrets: ResilientInformer<V1Secret>;
  private readonly apps: ResilientInformer<WorkflowApp & KubernetesObject>;
  private nsOwner = new Map<string, string>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly tenantListeners: Listener[] = [];
  private readonly licenseListeners: Listener[] = [];
  private readonly now: () => number;
  private started = false;

  constructor(opts: TenantViewOptions) {
    const { client } = opts;
    const kc = client.kc;
    const common = { logger: opts.logger, clock: opts.clock };
    this.now = opts.now ?? Date.now;
    this.tiers = opts.tiers;
    this.licenses = new LicenseBook({
      ...opts.licenses,
      onChange: (t) => {
        for (const l of this.licenseListeners) l(t);
        this.changed(t);
      },
    });
    this.tenantsInformer = new ResilientInformer(kc, {
      ...common,
      name: tenantApi.plural,
      path: `/apis/${api.group}/${api.version}/${tenantApi.plural}`,
      list: () =>
        client.custom.listClusterCustomObject({
          group: api.group,
          version: api.version,
          plural: tenantApi.plural,
        }) as Promise<KubernetesListObject<WorkflowTenant & KubernetesObject>>,
    });
    this.namespaces = new ResilientInformer(kc, {
      ...common,
      name: 'namespaces',
      path: '/api/v1/namespaces',
      list: () => client.core.listNamespace({}),
    });
    this.secrets = new ResilientInformer(kc, {
      ...common,
      name: 'secrets',
      path: '/api/v1/secrets',
      list: () => client.core.listSecretForAllNamespaces({}),
    });
    this.apps = new ResilientInformer(kc, {
      ...common,
      name: `${api.plural}-tenancy`,
      path: `/apis/${api.group}/${api.version}/${api.plural}`,
      list: () =>
        client.custom.listClusterCustomObject({
          group: api.group,
          version: api.version,
          plural: api.plural,
        }) as Promise<KubernetesListObject<WorkflowApp & KubernetesObject>>,
    });

    this.tenantsInformer.on((t, event) => {
      this.indexNamespaces();
      if (event === 'delete') this.licenses.forget(t.metadata.name);
      else this.syncLicense(t);
      this.changed(t.metadata.name);
    });
    this.namespaces.on((ns) => {
      const label = ns.metadata?.labels?.[api.labels.tenant];
      if (label) this.changed(label);
      const owner = this.nsOwner.get(ns.metadata?.name ?? '');
      if (owner && owner !== label) this.changed(owner);
    });
    this.secrets.on((s) => {
      for (const t of this.tenantsInformer.list()) {
        const ref = this.secretRef(t);
        if (ref && ref.namespace === s.metadata?.namespace && ref.name === s.metadata?.name) {
          this.syncLicense(t);
          this.changed(t.metadata.name);
        }
      }
    });
    this.apps.on((app) => {
      this.reservations.delete(appKey(app.metadata.namespace, app.metadata.name));
      const t = this.tenantOfNamespace(app.metadata.namespace);
      if (t) this.changed(t.metadata.name);
    });
  }

  /** Lists and watches; resolves once every cache holds a full list. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all([this.tenantsInformer.start(), this.namespaces.start(), this.secrets.start(), this.apps.start()]);
    this.indexNamespaces();
    for (const t of this.tenantsInformer.list()) this.syncLicense(t);
  }

  async stop(): Promise<void> {
    this.licenses.stop();
    await Promise.all([this.tenantsInformer.stop(), this.namespaces.stop(), this.secrets.stop(), this.apps.stop()]);
  }

  get synced(): boolean {
    return this.tenantsInformer.synced && this.namespaces.synced && this.secrets.synced && this.apps.synced;
  }

  /** A tenant's observable state changed (spec, namespaces, secret, apps, license). */
  onTenantChange(listener: Listener): void {
    this.tenantListeners.push(listener);
  }

  /** A tenant's license verdict changed: its apps' LicenseValid may have too. */
  onLicenseChange(listener: Listener): void {
    this.licenseListeners.push(listener);
  }

  tenant(name: string): WorkflowTenant | undefined {
    return this.tenantsInformer.get(name);
  }

  tenants(): ReadonlyArray<WorkflowTenant> {
    return this.tenantsInformer.list();
  }

  namespace(name: string): V1Namespace | undefined {
    return this.namespaces.get(name);
  }

  /** Namespaces labelled as the tenant's (some may have left its spec). */
  labelledNamespaces(tenant: string): V1Namespace[] {
    return this.namespaces.list().filter((n) => n.metadata?.labels?.[api.labels.tenant] === tenant);
  }

  secret(namespace: string, name: string): V1Secret | undefined {
    return this.secrets.get(name, namespace);
  }

  app(namespace: string, name: string): WorkflowApp | undefined {
    return this.apps.get(name, namespace);
  }

  appsOf(tenant: string): WorkflowApp[] {
    const t = this.tenant(tenant);
    if (!t) return [];
    return this.ownedNamespaces(t).flatMap((ns) => [...this.apps.list(ns)]);
  }

  /**
   * The tenant a namespace belongs to: the oldest tenant listing it in spec.namespaces, else the
   * tenant its label names (a namespace labelled by other means), if that tenant exists.
   */
  tenantOfNamespace(namespace: string): WorkflowTenant | undefined {
    const owner = this.nsOwner.get(namespace);
    if (owner) return this.tenant(owner);
    const label = this.namespaces.get(namespace)?.metadata?.labels?.[api.labels.tenant];
    return label ? this.tenant(label) : undefined;
  }

  /** Namespaces of the tenant's spec that no older tenant claimed first. */
  ownedNamespaces(t: WorkflowTenant): string[] {
    return (t.spec?.namespaces ?? []).filter((ns) => this.nsOwner.get(ns) === t.metadata.name);
  }

  /** Where the tenant's license Secret is (namespace defaults to its first namespace). */
  secretRef(t: WorkflowTenant): { namespace: string; name: string; key: string } | undefined {
    const ref = t.spec?.licenseSecretRef;
    const namespace = ref?.namespace ?? t.spec?.namespaces?.[0];
    if (!ref?.name || !namespace) return undefined;
    return { namespace, name: ref.name, key: ref.key ?? tenantApi.objects.licenseKey };
  }

  /** The tenant's license key from its Secret, or why there is none. */
  licenseKey(t: WorkflowTenant): { key: string; problem?: string } {
    const ref = this.secretRef(t);
    if (!ref) {
      if (t.spec?.licenseSecretRef && !t.spec.namespaces?.length)
        return { key: '', problem: 'spec.licenseSecretRef has no namespace and spec.namespaces is empty' };
      return { key: '', problem: 'the tenant has no license (spec.licenseSecretRef)' };
    }
    const secret = this.secret(ref.namespace, ref.name);
    if (!secret) return { key: '', problem: `Secret ${ref.namespace}/${ref.name} (spec.licenseSecretRef) not found` };
    const raw = secret.data?.[ref.key];
    if (raw === undefined)
      return {
        key: '',
        problem:
          `Secret ${ref.namespace}/${ref.name} has no key "${ref.key}" (keys: ` +
          `${Object.keys(secret.data ?? {}).join(', ') || 'none'})`,
      };
    return { key: Buffer.from(raw, 'base64').toString('utf8').trim() };
  }

  /** The tenant's license verdict; undefined when the tenant has no license at all. */
  license(tenant: string): LicenseStatus | undefined {
    return this.licenses.status(tenant);
  }

  /** What the tenant's apps use, leaving out `exceptKey` (the app being admitted), reservations included. */
  usage(tenant: string, exceptKey?: string) {
    const t = this.tenant(tenant);
    const footprints: AppFootprint[] = [];
    const keys = new Set<string>();
    if (t) {
      for (const ns of this.ownedNamespaces(t)) {
        for (const app of this.apps.list(ns)) {
          const key = appKey(app.metadata.namespace, app.metadata.name);
          keys.add(key);
          if (key !== exceptKey) footprints.push(footprint(app));
        }
      }
    }
    const now = this.now();
    for (const [key, r] of this.reservations) {
      if (r.until < now) this.reservations.delete(key);
      else if (r.tenant === tenant && key !== exceptKey && !keys.has(key)) footprints.push(r);
    }
    return sumUsage(footprints);
  }

  /** Counts an app admitted just now until the cache shows it (concurrent admissions stay within quota). */
  reserve(tenant: string, key: string, f: AppFootprint): void {
    this.reservations.set(key, { ...f, tenant, until: this.now() + reservationMs });
  }

  private syncLicense(t: WorkflowTenant): void {
    const { key } = this.licenseKey(t);
    if (!key && !t.spec?.licenseSecretRef) {
      this.licenses.forget(t.metadata.name);
      return;
    }
    const seeded = t.status?.license?.lastValidated ? Date.parse(t.status.license.lastValidated) : Number.NaN;
    this.licenses.sync(t.metadata.name, key, Number.isNaN(seeded) ? undefined : seeded);
  }

  private indexNamespaces(): void {
    const next = new Map<string, string>();
    const byAge = [...this.tenantsInformer.list()].sort(
      (a, b) =>
        (a.metadata.creationTimestamp ? Date.parse(String(a.metadata.creationTimestamp)) : 0) -
          (b.metadata.creationTimestamp ? Date.parse(String(b.metadata.creationTimestamp)) : 0) ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
    for (const t of byAge) {
      if (t.metadata.deletionTimestamp) continue;
      for (const ns of t.spec?.namespaces ?? []) if (!next.has(ns)) next.set(ns, t.metadata.name);
    }
    const before = this.nsOwner;
    this.nsOwner = next;
    for (const [ns, owner] of next) if (before.get(ns) !== owner) this.changed(owner);
    for (const [ns, owner] of before) if (!next.has(ns)) this.changed(owner);
  }

  private changed(tenant: string): void {
    for (const l of this.tenantListeners) l(tenant);
  }
}
