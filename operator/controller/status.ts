// status(app, outcome) -> WorkflowAppStatus, pure. The status says what the operator knows at the
// generation it observed: whether the spec could be applied (ConfigValid, PluginsResolved), how the
// rollout stands (Progressing, Degraded) and whether the desired version serves (Ready).
import type { V1Service } from '@kubernetes/client-node';
import * as api from '../api/constants.ts';
import type { Phase, ResolvedPlugin, WorkflowApp, WorkflowAppStatus } from '../api/types.ts';
import { serviceHealth } from '../health/health.ts';
import { canonicalJson } from '../render/hash.ts';
import { revisionOf, type LiveObjects, type Plan } from '../rollout/plan.ts';
import { mergeConditions, type ConditionUpdate } from './conditions.ts';

/** Why the spec could not be turned into objects, if it could not. */
export interface Blocker {
  /** Condition that carries it: ConfigValid, PluginsResolved, or Ready (invalid spec, apply refused). */
  condition: 'ConfigValid' | 'PluginsResolved' | 'Ready';
  reason: string;
  message: string;
  /** A server error the operator retries with backoff (ReconcileError): the phase stays as it was. */
  retrying?: boolean;
}

export interface StatusInput {
  app: WorkflowApp;
  now: Date;
  live: LiveObjects;
  /** Set when nothing was applied this round. */
  blocker?: Blocker;
  plan?: Plan;
  /** Present once the config was read and checked. */
  configNote?: string;
  resolvedPlugins?: ResolvedPlugin[];
  configHash?: string;
  revision?: string;
  selector: string;
  /** LicenseValid, when tenancy is on. */
  license?: ConditionUpdate;
}

function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * URL of the app: the load balancer's address when it has one, else the Service's cluster DNS name.
 * An ingress that reports its ports (status.loadBalancer.ingress[].ports) is taken at its word: a
 * load balancer may listen elsewhere than the Service port.
 */
export function endpointOf(service: V1Service | undefined): string | undefined {
  if (!service?.metadata?.name) return undefined;
  const port = service.spec?.ports?.[0]?.port ?? api.enginePort;
  const ingress = service.status?.loadBalancer?.ingress?.[0];
  const host = ingress?.ip ?? ingress?.hostname;
  if (host) return `http://${host.includes(':') ? `[${host}]` : host}:${ingress?.ports?.[0]?.port ?? port}`;
  return `http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${port}`;
}

export function computeStatus(input: StatusInput): WorkflowAppStatus {
  const { app, live, plan, blocker } = input;
  const previous = app.status ?? {};
  const generation = app.metadata.generation ?? 0;
  const service = live.services.get(app.metadata.name);
  const deployments = [...live.deployments.values()];
  const sum = (f: (d: (typeof deployments)[number]) => number | undefined) =>
    deployments.reduce((n, d) => n + (f(d) ?? 0), 0);
  const revision = input.revision ?? previous.revision;
  const updates: ConditionUpdate[] = [];
  let phase: Phase;

  if (blocker) {
    phase = blocker.retrying ? (previous.phase ?? 'Pending') : 'Failed';
    const ready: ConditionUpdate = { type: 'Ready', status: 'False', reason: blocker.reason, message: blocker.message };
    updates.push(ready, {
      type: 'Progressing',
      status: 'False',
      reason: blocker.reason,
      message: blocker.retrying
        ? 'the API server failed a write; retrying with backoff; the running version is left alone'
        : 'nothing is applied until the spec is fixed; the running version is left alone',
    });
    if (blocker.condition === 'ConfigValid')
      updates.push({ type: 'ConfigValid', status: 'False', reason: blocker.reason, message: blocker.message });
    if (blocker.condition === 'PluginsResolved')
      updates.push({ type: 'PluginsResolved', status: 'False', reason: blocker.reason, message: blocker.message });
  } else if (plan) {
    const svc = serviceHealth(service);
    const state = plan.progress.state;
    const complete = state === 'Complete' && svc.status === 'Healthy';
    if (complete) {
      const endpoint = endpointOf(service);
      updates.push({
        type: 'Ready',
        status: 'True',
        reason: 'Ready',
        message: `${plan.progress.message}${endpoint ? `; serving at ${endpoint}` : ''}`,
      });
      updates.push({ type: 'Progressing', status: 'False', reason: 'RolloutComplete', message: plan.progress.message });
    } else if (state === 'Complete' || state === 'Progressing') {
      const message = state === 'Complete' ? svc.message : plan.progress.message;
      updates.push({ type: 'Ready', status: 'False', reason: 'Progressing', message });
      updates.push({ type: 'Progressing', status: 'True', reason: 'RolloutInProgress', message });
    } else {
      const reason = state === 'RolledBack' ? 'RolledBack' : 'ProgressDeadlineExceeded';
      updates.push({ type: 'Ready', status: 'False', reason, message: plan.progress.message });
      updates.push({ type: 'Progressing', status: 'False', reason, message: plan.progress.message });
    }
    const degraded = state === 'Degraded' || state === 'RolledBack';
    updates.push(
      degraded
        ? {
            type: 'Degraded',
            status: 'True',
            reason: state === 'RolledBack' ? 'RolledBack' : 'ProgressDeadlineExceeded',
            message: plan.progress.message,
          }
        : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no rollout failure' },
    );
    phase = complete ? 'Running' : degraded ? 'Degraded' : deployments.length === 0 ? 'Pending' : 'Progressing';
  } else {
    phase = previous.phase ?? 'Pending';
  }
  if (input.configNote !== undefined)
    updates.push({ type: 'ConfigValid', status: 'True', reason: 'Valid', message: input.configNote });
  if (input.resolvedPlugins) {
    const n = input.resolvedPlugins.length;
    updates.push({
      type: 'PluginsResolved',
      status: 'True',
      reason: 'Resolved',
      message: n === 0 ? 'no plugins requested' : input.resolvedPlugins.map((p) => `${p.name}@${p.version}`).join(', '),
    });
  }

  if (input.license) updates.push(input.license);

  const target = revision ? deployments.filter((d) => revisionOf(d) === revision) : [];
  const status: WorkflowAppStatus = {
    observedGeneration: generation,
    phase,
    conditions: mergeConditions(previous.conditions, updates, generation, timestamp(input.now)),
    replicas: sum((d) => d.status?.replicas),
    readyReplicas: sum((d) => d.status?.readyReplicas),
    updatedReplicas: target.reduce((n, d) => n + (d.status?.updatedReplicas ?? 0), 0),
    selector: input.selector,
  };
  const endpoint = endpointOf(service);
  if (endpoint) status.endpoint = endpoint;
  const configHash = input.configHash ?? previous.configHash;
  if (configHash) status.configHash = configHash;
  if (revision) status.revision = revision;
  const plugins = input.resolvedPlugins ?? previous.resolvedPlugins;
  if (plugins?.length) status.resolvedPlugins = plugins;
  const rollout = plan ? plan.rollout : previous.rollout;
  if (rollout) status.rollout = Object.fromEntries(Object.entries(rollout).filter(([, v]) => v !== undefined));
  return status;
}

/**
 * The merge patch that turns `previous` into `next`, or undefined when they are equal (no write).
 * Fields that disappear are sent as null, which is how a merge patch deletes.
 */
export function statusPatch(
  previous: WorkflowAppStatus | undefined,
  next: WorkflowAppStatus,
): Record<string, unknown> | undefined {
  const prev = (previous ?? {}) as Record<string, unknown>;
  if (canonicalJson(prev) === canonicalJson(next)) return undefined;
  const patch: Record<string, unknown> = { ...next };
  for (const key of Object.keys(prev)) if (!(key in next)) patch[key] = null;
  // Nested objects are replaced whole: a merge patch would keep their stale keys.
  if (prev.rollout && next.rollout) {
    patch.rollout = { ...next.rollout };
    for (const key of Object.keys(prev.rollout as object)) {
      if (!(key in next.rollout)) (patch.rollout as Record<string, unknown>)[key] = null;
    }
  }
  return patch;
}
