// The platform's development license: a key pair made once in DATA/license/keys, and an enterprise
// license for the default tenant (every feature, no limits). The token is kept and reused while it
// has more than a week left, so a restart does not register a new license each time; then a new one
// is issued. In the cluster it lives in a Secret the default WorkflowTenant points at.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  issueDevLicense,
  publicKeyFileName,
  readPublicKeyFile,
  verifyToken,
  type LicenseClaims,
} from '../license/index.ts';
import { writePrivate } from './data-dir.ts';
import { defaultTenant } from './names.ts';

export const licenseSecretName = 'wfctl-dev-license';
const renewWithinMs = 7 * 24 * 60 * 60 * 1000;

export interface PlatformLicense {
  token: string;
  claims: LicenseClaims;
  publicKey: ReturnType<typeof readPublicKeyFile>;
  /** true when a new token was issued by this start. */
  issued: boolean;
}

export function loadOrIssueDevLicense(licenseDir: string, now = Date.now()): PlatformLicense {
  const keysDir = join(licenseDir, 'keys');
  const tokenFile = join(licenseDir, 'dev-license.token');
  const pubPath = join(keysDir, publicKeyFileName);
  if (existsSync(tokenFile) && existsSync(pubPath)) {
    try {
      const publicKey = readPublicKeyFile(pubPath);
      const token = readFileSync(tokenFile, 'utf8').trim();
      const claims = verifyToken(token, publicKey, now);
      if (claims.expiresAt * 1000 - now > renewWithinMs) return { token, claims, publicKey, issued: false };
    } catch {
      // tampered, expired or unreadable: issue a new one below
    }
  }
  const dev = issueDevLicense({ dir: keysDir, tenant: defaultTenant });
  writePrivate(tokenFile, `${dev.token}\n`);
  return { token: dev.token, claims: dev.claims, publicKey: dev.publicKey, issued: true };
}

export const defaultTenantQuotas = { maxApps: 50, maxReplicas: 100, maxPlugins: 25 };

/**
 * The Secret holding the token (applied at every start: the license may have been renewed) and the
 * default WorkflowTenant (created once; its quotas are then the user's to edit).
 */
export function defaultTenantObjects(token: string, namespace = 'default'): Array<Record<string, unknown>> {
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: licenseSecretName, namespace, labels: { 'app.kubernetes.io/managed-by': 'wfctl-up' } },
      type: 'Opaque',
      stringData: { license: token },
    },
    {
      apiVersion: 'workflow.gocodealone.com/v1alpha1',
      kind: 'WorkflowTenant',
      metadata: { name: defaultTenant, labels: { 'app.kubernetes.io/managed-by': 'wfctl-up' } },
      spec: {
        displayName: 'Default tenant (development license)',
        namespaces: [namespace],
        licenseSecretRef: { name: licenseSecretName, namespace, key: 'license' },
        // generous, but there: the console's Tenants page and the admission webhook show quotas at work
        quotas: defaultTenantQuotas,
      },
    },
  ];
}
