import type { Collection, TenantSummary } from '../../../api-types.ts';
import { Badge } from '../components/badge.tsx';
import { collectionNotice } from '../components/collection-state.tsx';
import { UsageBar } from '../components/usage-bar.tsx';
import { dateTime } from '../format.ts';

export function TenantsPage({ tenants }: { tenants: Collection<TenantSummary> }) {
  const notice = collectionNotice(tenants, 'WorkflowTenants', 'No tenants defined.');
  return (
    <>
      <h1>Tenants</h1>
      <p class="lead">Each tenant's usage against its quota, and its license.</p>
      {notice ?? (
        <ul class="cards">
          {tenants.items.map((t) => (
            <li key={t.name} class="card" data-tenant={t.name}>
              <h2>
                {t.displayName} {t.displayName !== t.name && <span class="muted">({t.name})</span>}
              </h2>
              <p class="muted">Namespaces: {t.namespaces.join(', ') || '-'}</p>
              {t.observed ? (
                <>
                  <UsageBar label="apps" usage={t.usage.apps} />
                  <UsageBar label="replicas" usage={t.usage.replicas} />
                  <UsageBar label="plugins" usage={t.usage.plugins} />
                </>
              ) : (
                <p class="notice">
                  The operator has not reported this tenant's usage and license yet (is its tenant controller running?).
                </p>
              )}
              <dl class="facts">
                <div>
                  <dt>License tier</dt>
                  <dd>{t.license.tier ?? 'none'}</dd>
                </div>
                <div>
                  <dt>Expires</dt>
                  <dd>{dateTime(t.license.expiresAt)}</dd>
                </div>
                <div>
                  <dt>License</dt>
                  <dd>
                    {t.license.valid === null ? (
                      '-'
                    ) : (
                      <Badge status={t.license.valid ? 'Valid' : 'Invalid'} label={t.license.message ?? undefined} />
                    )}
                  </dd>
                </div>
                <div>
                  <dt>Features</dt>
                  <dd>{t.license.features.join(', ') || '-'}</dd>
                </div>
              </dl>
              {t.license.message && <p class="notice notice-bad">{t.license.message}</p>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
