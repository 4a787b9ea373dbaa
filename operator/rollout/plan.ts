// The rollout planner: given the desired version and what is live, decide which objects to apply,
// which Deployments to scale, whether leftovers may be pruned, and how the rollout stands. Pure
// (time comes in as `now`), so every strategy is table-tested without a cluster.
//
// - RollingUpdate / Recreate: one Deployment `<app>`; Kubernetes does the rollout.
// - Canary: the stable `<app>` keeps the old pods while `<app>-canary` runs the new version; each
//   step sets the canary's share of the pods (the Service selects both, so the share of pods is the
//   share of traffic), waits until the canary is Ready and pauseSeconds have passed, then moves on.
//   After the last step the stable Deployment is updated to the new version and the canary removed.
// - BlueGreen: `<app>-blue` and `<app>-green`; the Service selects one color. The new version runs
//   at full size beside the old; when it is Ready the Service switches to it, then the old is removed.
// Canary and BlueGreen roll back when the new version is Degraded (progress deadline exceeded):
// the old version gets its full size back, the new one is removed, and that revision is not tried
// again until the spec changes.
//
// Old versions are only ever *scaled* (scale subresource), never re-applied: their pod template
// came from an older spec that is no longer known, and server-side apply of a partial object would
// drop the fields left out.
import type { V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import * as api from '../api/constants.ts';
import type { EffectiveSpec } from '../api/defaults.ts';
import type { RolloutStatus, WorkflowApp } from '../api/types.ts';
import { deploymentHealth, type Health } from '../health/health.ts';
import {
  deploymentName,
  previewServiceName,
  renderConfigMap,
  renderDeployment,
  renderService,
  serviceName,
  type AppVersion,
  type OwnedObject,
  type Track,
} from '../render/render.ts';

export interface LiveObjects {
  deployments: ReadonlyMap<string, V1Deployment>;
  services: ReadonlyMap<string, V1Service>;
  configMaps: ReadonlyMap<string, V1ConfigMap>;
}

export type ProgressState = 'Complete' | 'Progressing' | 'Degraded' | 'RolledBack';

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface Plan {
  /** Full desired objects to server-side apply, in order (ConfigMaps before the Deployments using them). */
  apply: OwnedObject[];
  /** Deployments whose replica count to change without touching their template. */
  scale: Array<{ name: string; replicas: number }>;
  /** Owned objects to keep when pruning, as `Kind/name`. */
  keep: Set<string>;
  /** Delete owned objects not in `keep` (only once the desired set serves). */
  prune: boolean;
  rollout: RolloutStatus | undefined;
  progress: { state: ProgressState; message: string };
  events: PlanEvent[];
  requeueAfterMs?: number;
}

export interface PlanInput {
  app: WorkflowApp;
  spec: EffectiveSpec;
  version: AppVersion;
  live: LiveObjects;
  rollout: RolloutStatus | undefined;
  now: number;
}

export function objectKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

export function revisionOf(d: V1Deployment | undefined): string | undefined {
  return d?.metadata?.annotations?.[api.annotations.revision];
}

/** The Deployment runs `revision` with `replicas` pods, all available. */
function readyAt(d: V1Deployment | undefined, revision: string, replicas: number): boolean {
  return (
    !!d &&
    revisionOf(d) === revision &&
    (d.spec?.replicas ?? 1) === replicas &&
    deploymentHealth(d).status === 'Healthy'
  );
}

function degradedAt(d: V1Deployment | undefined, revision: string): Health | undefined {
  if (!d || revisionOf(d) !== revision) return undefined;
  const h = deploymentHealth(d);
  return h.status === 'Degraded' ? h : undefined;
}

function progressOf(
  d: V1Deployment | undefined,
  revision: string,
  replicas: number,
  fallback: string,
): { state: ProgressState; message: string } {
  if (readyAt(d, revision, replicas))
    return { state: 'Complete', message: `${replicas} of ${replicas} replicas ready at revision ${revision}` };
  if (revisionOf(d) !== revision) return { state: 'Progressing', message: fallback };
  const h = deploymentHealth(d);
  return { state: h.status === 'Degraded' ? 'Degraded' : 'Progressing', message: h.message };
}

/** Desired ConfigMap + Deployment of the target version on a track. */
function versionObjects(input: PlanInput, track: Track, replicas: number): OwnedObject[] {
  return [
    renderConfigMap(input.app, input.version, track),
    renderDeployment(input.app, input.version, track, replicas),
  ];
}

/** Keep-set keys of rendered objects and of live objects named by kind and name. */
function keepOf(objs: Array<OwnedObject | { kind: string; name: string }>): Set<string> {
  return new Set(
    objs.map((o) => ('name' in o ? objectKey(o.kind, o.name) : objectKey(o.kind ?? '', o.metadata?.name ?? ''))),
  );
}

function scaleIfNeeded(d: V1Deployment | undefined, replicas: number): Plan['scale'] {
  return d && (d.spec?.replicas ?? 1) !== replicas ? [{ name: d.metadata!.name!, replicas }] : [];
}

export function plan(input: PlanInput): Plan {
  switch (input.spec.strategy.type) {
    case 'Canary':
      return planCanary(input);
    case 'BlueGreen':
      return planBlueGreen(input);
    default:
      return planSingle(input);
  }
}

/** RollingUpdate and Recreate: one Deployment, updated in place. */
function planSingle(input: PlanInput, events: PlanEvent[] = []): Plan {
  const { app, spec, version, live } = input;
  const objs = [
    ...versionObjects(input, 'stable', spec.replicas),
    renderService(app, spec, { name: serviceName(app) }),
  ];
  const stable = live.deployments.get(deploymentName(app, 'stable'));
  const progress = progressOf(
    stable,
    version.revision,
    spec.replicas,
    `updating Deployment ${deploymentName(app, 'stable')} to revision ${version.revision}`,
  );
  return {
    apply: objs,
    scale: [],
    keep: keepOf(objs),
    prune: progress.state === 'Complete',
    rollout: undefined,
    progress,
    events,
  };
}

/** Pods of each Deployment for a canary weight: at least one canary pod, and the stable keeps one until 100 %. */
export function canarySplit(replicas: number, weight: number): { canary: number; stable: number } {
  if (replicas === 0) return { canary: 0, stable: 0 };
  if (weight >= 100) return { canary: replicas, stable: 0 };
  const canary = Math.min(replicas, Math.max(1, Math.ceil((replicas * weight) / 100)));
  return { canary, stable: Math.max(1, replicas - canary) };
}

function planCanary(input: PlanInput): Plan {
  const { app, spec, version, live, now } = input;
  const T = version.revision;
  const R = spec.replicas;
  const stableName = deploymentName(app, 'stable');
  const canaryName = deploymentName(app, 'canary');
  const stable = live.deployments.get(stableName);
  const canary = live.deployments.get(canaryName);
  const service = renderService(app, spec, { name: serviceName(app) });

  // Nothing to roll from (first install), or the stable already runs the target (steady, or the
  // promotion has been applied): behave like a single Deployment; the canary goes once stable is Ready.
  if (!stable || revisionOf(stable) === T) {
    const p = planSingle(input);
    if (canary && input.rollout?.targetRevision === T) {
      // The promotion is rolling through the stable Deployment: keep the rollout state until done.
      if (p.progress.state === 'Complete') {
        p.events.push({
          type: 'Normal',
          reason: 'RolloutPromoted',
          message: `canary revision ${T} promoted to ${stableName}`,
        });
      } else {
        p.rollout = input.rollout;
      }
    }
    return p;
  }

  const prev = input.rollout;
  const fresh = prev?.targetRevision !== T;
  const rollout: RolloutStatus = fresh
    ? { strategy: 'Canary', stableRevision: revisionOf(stable), targetRevision: T, step: 0, canaryWeight: 0 }
    : { ...prev, strategy: 'Canary' };
  const events: PlanEvent[] = [];
  if (fresh && prev?.abortedRevision !== T) {
    events.push({
      type: 'Normal',
      reason: 'RolloutStarted',
      message: `canary rollout of revision ${T} started (stable ${revisionOf(stable)})`,
    });
  }

  const degraded = degradedAt(canary, T);
  if (prev?.abortedRevision === T || degraded) {
    return rollBack(input, rollout, stable, [service], degraded, events);
  }

  const steps = spec.strategy.canarySteps;
  const step = Math.min(rollout.step ?? 0, steps.length);
  if (step >= steps.length) {
    // All steps passed: update the stable Deployment to the target; the canary keeps serving meanwhile.
    const objs = [...versionObjects(input, 'stable', R), service];
    return {
      apply: objs,
      scale: [],
      keep: new Set(),
      prune: false,
      rollout: { ...rollout, step, stepStartedAt: undefined },
      progress: { state: 'Progressing', message: `promoting revision ${T}: updating ${stableName}` },
      events,
    };
  }

  const { weight, pauseSeconds = 0 } = steps[step]!;
  const split = canarySplit(R, weight);
  const apply = [...versionObjects(input, 'canary', split.canary), service];
  const scale = scaleIfNeeded(stable, split.stable);
  const effectiveWeight =
    split.canary + split.stable === 0 ? 0 : Math.round((split.canary * 100) / (split.canary + split.stable));
  const base = { apply, scale, keep: new Set<string>(), prune: false, events };
  const label =
    `canary step ${step + 1}/${steps.length} (weight ${weight}%, ${split.canary} canary / ` +
    `${split.stable} stable pods)`;

  if (!readyAt(canary, T, split.canary)) {
    const why = revisionOf(canary) === T ? deploymentHealth(canary).message : `starting ${canaryName}`;
    return {
      ...base,
      rollout: { ...rollout, step, canaryWeight: effectiveWeight, stepStartedAt: undefined },
      progress: { state: 'Progressing', message: `${label}: ${why}` },
    };
  }
  const startedAt = rollout.stepStartedAt ? Date.parse(rollout.stepStartedAt) : now;
  const remaining = startedAt + pauseSeconds * 1000 - now;
  if (remaining > 0) {
    return {
      ...base,
      rollout: { ...rollout, step, canaryWeight: effectiveWeight, stepStartedAt: new Date(startedAt).toISOString() },
      progress: { state: 'Progressing', message: `${label}: ready, pausing ${Math.ceil(remaining / 1000)}s` },
      requeueAfterMs: remaining,
    };
  }
  events.push({ type: 'Normal', reason: 'CanaryStepPassed', message: `${label} passed` });
  return {
    ...base,
    rollout: { ...rollout, step: step + 1, canaryWeight: effectiveWeight, stepStartedAt: undefined },
    // No requeue here: the status write of the new step brings the app back through the watch, and a
    // reconcile before that would still see the old step in the cache.
    progress: { state: 'Progressing', message: `${label} passed` },
  };
}

function otherColor(c: 'blue' | 'green'): 'blue' | 'green' {
  return c === 'blue' ? 'green' : 'blue';
}

function planBlueGreen(input: PlanInput): Plan {
  const { app, spec, version, live } = input;
  const T = version.revision;
  const R = spec.replicas;
  const liveSelector = live.services.get(serviceName(app))?.spec?.selector?.[api.labels.track];
  const activeColor: 'blue' | 'green' =
    liveSelector === 'blue' || liveSelector === 'green' ? liveSelector : (input.rollout?.activeColor ?? 'blue');
  const previewColor = otherColor(activeColor);
  const active = live.deployments.get(deploymentName(app, activeColor));
  const preview = live.deployments.get(deploymentName(app, previewColor));
  const activeService = renderService(app, spec, { name: serviceName(app), track: activeColor });

  if (!active || revisionOf(active) === T) {
    const objs = [...versionObjects(input, activeColor, R), activeService];
    const progress = progressOf(active, T, R, `starting ${deploymentName(app, activeColor)}`);
    const events: PlanEvent[] = [];
    if (input.rollout?.targetRevision === T && preview && progress.state === 'Complete') {
      events.push({
        type: 'Normal',
        reason: 'RolloutPromoted',
        message: `revision ${T} is live on ${deploymentName(app, activeColor)}`,
      });
    }
    return {
      apply: objs,
      scale: [],
      keep: keepOf(objs),
      prune: progress.state === 'Complete',
      rollout: {
        strategy: 'BlueGreen',
        activeColor,
        stableRevision: T,
        abortedRevision: input.rollout?.abortedRevision,
      },
      progress,
      events,
    };
  }

  const prev = input.rollout;
  const fresh = prev?.targetRevision !== T;
  const rollout: RolloutStatus = {
    strategy: 'BlueGreen',
    activeColor,
    stableRevision: revisionOf(active),
    targetRevision: T,
    abortedRevision: prev?.abortedRevision,
  };
  const events: PlanEvent[] = [];
  if (fresh && prev?.abortedRevision !== T) {
    events.push({
      type: 'Normal',
      reason: 'RolloutStarted',
      message: `blue-green rollout of revision ${T} started on ${deploymentName(app, previewColor)}`,
    });
  }
  const degraded = degradedAt(preview, T);
  if (prev?.abortedRevision === T || degraded) {
    return rollBack(input, rollout, active, [activeService], degraded, events);
  }

  const previewObjs: OwnedObject[] = [...versionObjects(input, previewColor, R)];
  if (spec.strategy.previewService)
    previewObjs.push(renderService(app, spec, { name: previewServiceName(app), track: previewColor }));
  if (readyAt(preview, T, R)) {
    const switched = renderService(app, spec, { name: serviceName(app), track: previewColor });
    events.push({
      type: 'Normal',
      reason: 'TrafficSwitched',
      message: `Service ${serviceName(app)} now selects ${previewColor} (revision ${T})`,
    });
    return {
      apply: [...previewObjs, switched],
      scale: scaleIfNeeded(active, R),
      keep: new Set(),
      prune: false,
      rollout: { ...rollout, activeColor: previewColor },
      progress: { state: 'Progressing', message: `switched traffic to ${deploymentName(app, previewColor)}` },
      events,
    };
  }
  const why =
    revisionOf(preview) === T ? deploymentHealth(preview).message : `starting ${deploymentName(app, previewColor)}`;
  return {
    apply: [...previewObjs, activeService],
    scale: scaleIfNeeded(active, R),
    keep: new Set(),
    prune: false,
    rollout,
    progress: { state: 'Progressing', message: `preview of revision ${T}: ${why}` },
    events,
  };
}

/**
 * Puts the old version back at full size and removes the new one; remembers the revision so it is
 * not retried until the spec changes.
 */
function rollBack(
  input: PlanInput,
  rollout: RolloutStatus,
  stable: V1Deployment,
  service: OwnedObject[],
  degraded: Health | undefined,
  events: PlanEvent[],
): Plan {
  const T = input.version.revision;
  const stableName = stable.metadata!.name!;
  const firstTime = input.rollout?.abortedRevision !== T;
  if (firstTime) {
    events.push({
      type: 'Warning',
      reason: 'RolloutAborted',
      message: `revision ${T} rolled back to ${stableName}: ${degraded?.message ?? 'new version is degraded'}`,
    });
  }
  const stableConfig =
    stable.spec?.template?.spec?.volumes?.find((v) => v.configMap)?.configMap?.name ?? `${stableName}-config`;
  return {
    apply: service,
    scale: scaleIfNeeded(stable, input.spec.replicas),
    keep: keepOf([...service, { kind: 'Deployment', name: stableName }, { kind: 'ConfigMap', name: stableConfig }]),
    prune: true,
    rollout: {
      ...rollout,
      abortedRevision: T,
      step: undefined,
      stepStartedAt: undefined,
      canaryWeight: rollout.strategy === 'Canary' ? 0 : undefined,
    },
    progress: {
      state: 'RolledBack',
      message:
        `revision ${T} was rolled back (${degraded?.message ?? 'degraded'}); ${stableName} serves ` +
        `revision ${revisionOf(stable)}. Change the spec to try again.`,
    },
    events,
  };
}
