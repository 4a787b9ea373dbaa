// reconcile(key): one level-triggered pass over one WorkflowApp, controller-runtime style. It reads
// only the cache, writes only through the apply client, and is safe to run any number of times:
// an app whose objects already match causes no write at all.
//
//   app -> config source -> engine validation -> plugin resolution -> version -> rollout plan
//       -> apply / scale / prune -> status (written only when it changed) -> events
//
// An invalid config or unresolvable plugin stops before anything is applied, so the running version
// keeps serving; the status says why (ConfigValid/PluginsResolved False with the file:line message).
import { effectiveSpec } from '../api/defaults.ts';
import { splitKey, type AppKey, type WorkflowApp, type WorkflowAppStatus } from '../api/types.ts';
import { isTemporary, KubeApiError } from '../kube/errors.ts';
import type { EventType } from '../kube/events.ts';
import { injectedHealthModuleName, prepareEngineConfig } from '../render/engine-config.ts';
import { canonicalJson } from '../render/hash.ts';
import { appSelector, buildVersion, selectorString } from '../render/render.ts';
import { plan as planRollout, type Plan } from '../rollout/plan.ts';
import { getCondition } from './conditions.ts';
import { executePlan, NameConflictError } from './execute-plan.ts';
import { checkInputs } from './inputs.ts';
import type { ReconcileDeps, ReconcileResult } from './ports.ts';
import { computeStatus, statusPatch } from './status.ts';

export type { AppCache, ApplyClient, ReconcileDeps, ReconcileResult } from './ports.ts';

export async function reconcile(key: AppKey, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { namespace, name } = splitKey(key);
  const app = deps.cache.app(namespace, name);
  // Deleted (or being deleted): ownerReferences let the garbage collector remove everything.
  if (!app || app.metadata.deletionTimestamp) return {};
  const live = deps.cache.owned(app);
  const say = (type: EventType, reason: string, message: string) => deps.events.event(app, type, reason, message);
  const now = new Date(deps.now());
  const selector = selectorString(appSelector(app));

  if (app.spec?.suspend) {
    const prev = app.status ?? {};
    if (prev.phase !== 'Suspended') {
      await deps.client.patchAppStatus(app, { phase: 'Suspended', observedGeneration: app.metadata.generation ?? 0 });
      say('Normal', 'Suspended', 'reconciliation suspended (spec.suspend); owned objects are left as they are');
    }
    return {};
  }

  const spec = effectiveSpec(app, deps.defaultImage);
  const checked = await checkInputs(app, spec, deps);
  let blocker = checked.blocker;
  const { plugins } = checked;
  let configNote = checked.configNote;

  let plan: Plan | undefined;
  let configHash: string | undefined;
  let revision: string | undefined;
  const actions: string[] = [];
  // A server error while applying: recorded on the status (ReconcileError), then rethrown so the
  // controller keeps retrying with backoff. Without it a failing apply looks like a stall.
  let retryError: KubeApiError | undefined;
  if (!blocker && plugins?.ok) {
    const prepared = prepareEngineConfig(checked.text);
    if (prepared.injectedHealthChecker)
      configNote += `; health.checker "${injectedHealthModuleName}" added for the readiness and liveness probes`;
    const version = buildVersion(app, spec, prepared, plugins.resolved, { pluginRegistryUrl: deps.pluginRegistryUrl });
    configHash = version.configHash;
    revision = version.revision;
    plan = planRollout({ app, spec, version, live, rollout: app.status?.rollout, now: now.getTime() });
    try {
      await executePlan(plan, app, live, deps, actions);
    } catch (err) {
      // Conflicts, throttling and an unreachable server are routine (or leave no way to write):
      // only retried. A 5xx answer is a failure the user must be able to see.
      const serverError = err instanceof KubeApiError && err.code >= 500;
      if (isTemporary(err) && !serverError) throw err;
      if (serverError) retryError = err;
      blocker = {
        condition: 'Ready',
        reason: serverError ? 'ReconcileError' : err instanceof NameConflictError ? 'NameConflict' : 'ApplyFailed',
        message: (err as Error).message,
        retrying: serverError,
      };
      plan = undefined;
    }
  }

  const status = computeStatus({
    app,
    now,
    live,
    blocker,
    plan,
    configNote: blocker?.condition === 'ConfigValid' ? undefined : configNote,
    resolvedPlugins: plugins?.ok ? plugins.resolved : undefined,
    configHash,
    revision,
    selector,
    license: deps.licenseCondition?.(app),
  });
  // Objects just written reach the cache through the watch, and their events bring this app back;
  // a status computed now would describe the cache before the writes and be rewritten at once.
  // (The short requeue covers a write the server found unchanged, which sends no event.)
  // Rollout progress is state, not observation: it is always written, or the next pass would redo it.
  const wrote = actions.length > 0;
  const rolloutChanged = canonicalJson(status.rollout ?? null) !== canonicalJson(app.status?.rollout ?? null);
  const patched = !wrote || blocker || rolloutChanged ? await writeStatus(app, status, deps) : false;

  if (actions.length) say('Normal', 'Synced', actions.join(', '));
  // Rollout events and condition transitions go with the status write that records them: a pass
  // over a cache that does not show our last status yet would announce them a second time.
  if (patched) {
    for (const e of plan?.events ?? []) say(e.type, e.reason, e.message);
    announceTransitions(app.status, status, say);
  }
  if (retryError) throw retryError;

  // Nothing watches a registry or someone else's objects: look again in a while.
  if ((plugins && !plugins.ok && plugins.temporary) || blocker?.reason === 'NameConflict')
    return { requeueAfterMs: 30_000 };
  if (wrote && !blocker) return { requeueAfterMs: Math.min(plan?.requeueAfterMs ?? 1_000, 1_000) };
  return plan?.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
}

/**
 * Patches the status when it changed; true when it did. The cache may not show our previous status
 * write yet; an identical status on its way is not written twice.
 */
async function writeStatus(app: WorkflowApp, status: WorkflowAppStatus, deps: ReconcileDeps): Promise<boolean> {
  const id = `status:${app.metadata.namespace}/${app.metadata.name}`;
  const patch = statusPatch(app.status, status);
  if (!patch) {
    deps.memory.observed(id);
    return false;
  }
  const json = canonicalJson(status);
  if (deps.memory.expecting(id, json)) return false;
  deps.logger?.debug({ app: `${app.metadata.namespace}/${app.metadata.name}`, patch }, 'patching status');
  await deps.client.patchAppStatus(app, patch);
  deps.memory.expect(id, json);
  return true;
}

/** Warning events when a condition turns False (once per transition or new message), Normal when Ready turns True. */
function announceTransitions(
  prev: WorkflowAppStatus | undefined,
  next: WorkflowAppStatus,
  say: (t: EventType, r: string, m: string) => void,
): void {
  for (const type of ['ConfigValid', 'PluginsResolved', 'LicenseValid'] as const) {
    const before = getCondition(prev?.conditions, type);
    const after = getCondition(next.conditions, type);
    if (after?.status === 'False' && (before?.status !== 'False' || before.message !== after.message))
      say('Warning', after.reason, after.message);
  }
  const ready = getCondition(next.conditions, 'Ready');
  const wasReady = getCondition(prev?.conditions, 'Ready');
  if (ready?.status === 'True' && wasReady?.status !== 'True') say('Normal', 'Ready', ready.message);
  const failed = ['ApplyFailed', 'NameConflict', 'ReconcileError'].includes(ready?.reason ?? '');
  if (ready && failed && (wasReady?.reason !== ready.reason || wasReady.message !== ready.message))
    say('Warning', ready.reason, ready.message);
}
