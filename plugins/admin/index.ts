// plugins/admin: the admin API and dashboard (upstream's workflow-plugin-admin, UPSTREAM.md 11). Two
// module types, admin.engine and admin.dashboard, and the config provider `withAdmin` that merges the
// admin's modules and routes (its own server, router, rate limits, users database, JWT auth) into an
// app's config: `wfctl run --admin`, and the upstream `workflow-server-admin` image on devcluster.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { adminDashboardSchema, createAdminDashboard } from './dashboard.ts';
import { adminEngineSchema, createAdminEngine } from './engine-admin.ts';

export const adminPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'admin.engine': createAdminEngine, 'admin.dashboard': createAdminDashboard },
  moduleSchemas: { 'admin.engine': adminEngineSchema, 'admin.dashboard': adminDashboardSchema },
};

export { ADMIN_SERVER, AdminConfigError, adminConfig, withAdmin, type AdminOptions } from './admin-config.ts';
export { redactSecrets } from './engine-admin.ts';
