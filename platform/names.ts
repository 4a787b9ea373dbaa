// Names the platform's parts share: where everything listens, the repositories, the tenant.

export const host = '127.0.0.1';
export const appsRepo = 'apps';
export const registryRepo = 'registry';
/** The tenant of the development license; apps.git's apps are stamped with it. */
export const defaultTenant = 'default';
/** The operator's push hook (operator/index.ts hookPath; a test checks they agree), known before it loads. */
export const operatorHookPath = '/hooks/git';
