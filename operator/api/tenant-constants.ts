// Names the tenant controller and the admission webhook share with the cluster: the WorkflowTenant
// resource (cluster-scoped) and the objects written into each tenant namespace. Changing any of
// these orphans the objects of a running install.
import { group } from './constants.ts';

export const kind = 'WorkflowTenant';
export const plural = 'workflowtenants';
export const singular = 'workflowtenant';
export const shortNames = ['wft'];
export const crdName = `${plural}.${group}`;

/** What the operator keeps in each tenant namespace. */
export const objects = {
  quota: 'workflow-tenant-quota',
  networkPolicy: 'workflow-tenant-isolation',
  role: 'workflow-tenant',
  roleBinding: 'workflow-tenant',
  /** The tenant's license, copied from spec.licenseSecretRef; apps read WORKFLOW_LICENSE_KEY from it. */
  licenseSecret: 'workflow-license',
  licenseKey: 'license',
} as const;

/** Admission warns when a tenant's license expires within this many days. */
export const expiryWarningDays = 14;
