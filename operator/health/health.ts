// Health of owned objects as small pure functions, after argoproj/gitops-engine (KUBERNETES.md 1.6):
// the Deployment rules verbatim, LoadBalancer Services healthy once they have an ingress, and
// worst-of aggregation (Healthy < Suspended < Progressing < Missing < Degraded < Unknown).
import type { V1Deployment, V1Service } from '@kubernetes/client-node';

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';

export interface Health {
  status: HealthStatus;
  message: string;
}

const order: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function worstOf(...healths: Health[]): Health {
  return healths.reduce<Health>((worst, h) => (order.indexOf(h.status) > order.indexOf(worst.status) ? h : worst), {
    status: 'Healthy',
    message: '',
  });
}

export function deploymentHealth(d: V1Deployment | undefined): Health {
  if (!d) return { status: 'Missing', message: 'Deployment does not exist' };
  const name = `Deployment ${d.metadata?.name}`;
  if (d.spec?.paused) return { status: 'Suspended', message: `${name} is paused` };
  const generation = d.metadata?.generation ?? 0;
  const status = d.status ?? {};
  if (generation > (status.observedGeneration ?? 0)) {
    return { status: 'Progressing', message: `waiting for ${name} spec update to be observed` };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      status: 'Degraded',
      message: `${name} exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}`,
    };
  }
  const want = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < want) return { status: 'Progressing', message: `${name}: ${updated} of ${want} new replicas updated` };
  if ((status.replicas ?? 0) > updated) {
    return {
      status: 'Progressing',
      message: `${name}: ${(status.replicas ?? 0) - updated} old replicas pending termination`,
    };
  }
  if ((status.availableReplicas ?? 0) < updated) {
    return {
      status: 'Progressing',
      message: `${name}: ${status.availableReplicas ?? 0} of ${updated} updated replicas available`,
    };
  }
  return { status: 'Healthy', message: `${name}: ${status.availableReplicas ?? 0} of ${want} replicas available` };
}

export function serviceHealth(s: V1Service | undefined): Health {
  if (!s) return { status: 'Missing', message: 'Service does not exist' };
  if (s.spec?.type === 'LoadBalancer' && !s.status?.loadBalancer?.ingress?.length) {
    return { status: 'Progressing', message: `Service ${s.metadata?.name} is waiting for a load-balancer address` };
  }
  return { status: 'Healthy', message: '' };
}

/** Ready reasons that will not fix themselves: the app needs a change (or an operator's attention). */
const failedReasons = new Set([
  'InvalidConfig',
  'InvalidSpec',
  'InvalidName',
  'NameConflict',
  'ApplyFailed',
  'RolledBack',
  'ProgressDeadlineExceeded',
  'ResolutionFailed',
  'ConfigMapNotFound',
  'ConfigMapKeyNotFound',
]);

interface AppLike {
  metadata?: { name?: string; generation?: number };
  spec?: { suspend?: boolean };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
      observedGeneration?: number;
    }>;
  };
}

/** A WorkflowApp's health from its status conditions (what the operator reports about it). */
export function workflowAppHealth(app: AppLike | undefined): Health {
  if (!app) return { status: 'Missing', message: 'WorkflowApp does not exist' };
  const name = `WorkflowApp ${app.metadata?.name}`;
  if (app.spec?.suspend) return { status: 'Suspended', message: `${name} is suspended` };
  const generation = app.metadata?.generation ?? 0;
  if ((app.status?.observedGeneration ?? 0) < generation)
    return { status: 'Progressing', message: `waiting for the operator to observe ${name} generation ${generation}` };
  const cond = (type: string) => app.status?.conditions?.find((c) => c.type === type);
  const ready = cond('Ready');
  if (ready?.status === 'True') return { status: 'Healthy', message: ready.message ?? '' };
  const degraded = cond('Degraded');
  if (degraded?.status === 'True') return { status: 'Degraded', message: `${name}: ${degraded.message}` };
  for (const type of ['ConfigValid', 'PluginsResolved']) {
    const c = cond(type);
    if (c?.status === 'False') return { status: 'Degraded', message: `${name}: ${type}: ${c.message}` };
  }
  if (ready && failedReasons.has(ready.reason ?? ''))
    return { status: 'Degraded', message: `${name}: ${ready.reason}: ${ready.message}` };
  return { status: 'Progressing', message: `${name}: ${ready?.message ?? 'waiting for the operator'}` };
}

/**
 * Health of any object a source syncs: the kinds with rules get them, anything else is Healthy
 * once it exists (ConfigMaps, Secrets).
 */
export function health(kind: string, obj: unknown): Health {
  if (kind === 'WorkflowApp') return workflowAppHealth(obj as AppLike | undefined);
  if (kind === 'Deployment') return deploymentHealth(obj as V1Deployment | undefined);
  if (kind === 'Service') return serviceHealth(obj as V1Service | undefined);
  if (obj === undefined) return { status: 'Missing', message: `${kind} does not exist` };
  return { status: 'Healthy', message: '' };
}
