// reconcile(key): one level-triggered pass over one WorkflowApp, controller-runtime style. It reads
// only the cache, writes only through the apply client, and is safe to run any number of times:
// an app whose objects already match causes no write at all.
//
//   app -> config source -> engine validation -> plugin resolution -> version -> rollout plan
//       -> apply / scale / prune -> status (written only when it changed) -> events
//
// An invalid config or unresolvable plugin stops before anything is applied, so the running version
// keeps serving; the status says why (ConfigValid/PluginsResolved False with the file:line message).
import type { V1ConfigMap, V1Deployment, V1Service, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import * as api from '../api/constants.ts';
import { effectiveSpec, type EffectiveSpec } from '../api/defaults.ts';
import { pointerToFieldPath, validateWorkflowAppObject } from '../api/schema.ts';
import { splitKey, type AppKey, type WorkflowApp, type WorkflowAppStatus } from '../api/types.ts';
import type { ConfigValidator } from '../config/validator.ts';
import type { EventRecorder, EventType } from '../kube/events.ts';
import { isTemporary } from '../kube/errors.ts';
import { resolvePlugins, type PluginResolver, type PluginsOutcome } from '../plugins/resolver.ts';
import { injectedHealthModuleName, prepareEngineConfig } from '../render/engine-config.ts';
import { canonicalJson } from '../render/hash.ts';
import { appSelector, buildVersion, selectorString } from '../render/render.ts';
import { objectKey, plan as planRollout, type LiveObjects, type Plan } from '../rollout/plan.ts';
import { getCondition } from './conditions.ts';
import { computeStatus, statusPatch, type Blocker } from './status.ts';
import { isUpToDate, objectId, WriteMemory } from './up-to-date.ts';

/** What reconcile reads: the informer caches. */
export interface AppCache {
  app(namespace: string, name: string): WorkflowApp | undefined;
  owned(app: WorkflowApp): LiveObjects;
  configMap(namespace: string, name: string): V1ConfigMap | undefined;
}

/** What reconcile writes with. */
export interface ApplyClient {
  /** A live object by kind and name (undefined when there is none): read before creating one. */
  read(obj: KubernetesObject): Promise<KubernetesObject | undefined>;
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  scaleDeployment(namespace: string, name: string, replicas: number): Promise<void>;
  delete(obj: KubernetesObject): Promise<void>;
  patchAppStatus(app: WorkflowApp, patch: Record<string, unknown>): Promise<void>;
}

export interface ReconcileDeps {
  cache: AppCache;
  client: ApplyClient;
  validateConfig: ConfigValidator;
  plugins: PluginResolver;
  events: EventRecorder;
  now: () => number;
  defaultImage: string;
  memory: WriteMemory;
  logger?: Logger;
}

export interface ReconcileResult {
  /** Run again after this long even without a watch event (canary pauses, registry retries). */
  requeueAfterMs?: number;
}

type ConfigSource = { ok: true; text: string; file: string } | { ok: false; blocker: Blocker };

function readConfigSource(app: WorkflowApp, cache: AppCache): ConfigSource {
  const ref = app.spec.configMapRef;
  if (!ref) return { ok: true, text: app.spec.config ?? '', file: 'spec.config' };
  const key = ref.key ?? api.configKey;
  const cm = cache.configMap(app.metadata.namespace, ref.name);
  const where = `ConfigMap ${app.metadata.namespace}/${ref.name}`;
  if (!cm) {
    return { ok: false, blocker: { condition: 'ConfigValid', reason: 'ConfigMapNotFound', message: `${where} (spec.configMapRef) not found: create it or fix spec.configMapRef.name` } };
  }
  const text = cm.data?.[key];
  if (text === undefined) {
    const keys = Object.keys(cm.data ?? {});
    return {
      ok: false,
      blocker: { condition: 'ConfigValid', reason: 'ConfigMapKeyNotFound', message: `${where} has no key "${key}" (keys: ${keys.join(', ') || 'none'}); set spec.configMapRef.key` },
    };
  }
  return { ok: true, text, file: `configmap/${ref.name}/${key}` };
}

/** A spec the API server should have refused (older CRD, no schema validation): say what is wrong. */
function specBlocker(app: WorkflowApp): Blocker | undefined {
  if (app.metadata.name.length > api.maxAppNameLength || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(app.metadata.name)) {
    return {
      condition: 'Ready',
      reason: 'InvalidName',
      message: `name "${app.metadata.name}" cannot name the app's Service: use at most ${api.maxAppNameLength} lower-case letters, digits and '-', starting with a letter`,
    };
  }
  const problems = validateWorkflowAppObject({ ...app, status: undefined, metadata: {} });
  if (problems.length === 0) return undefined;
  return {
    condition: 'Ready',
    reason: 'InvalidSpec',
    message: problems.map((p) => `${pointerToFieldPath(p.pointer)}: ${p.message}`).join('; '),
  };
}

interface CheckedInputs {
  blocker?: Blocker;
  /** The engine config, once read and valid. */
  text: string;
  configNote?: string;
  plugins?: PluginsOutcome;
}

/** Spec, config and plugins, checked in that order; the first problem blocks the rest. */
async function checkInputs(app: WorkflowApp, spec: EffectiveSpec, deps: ReconcileDeps): Promise<CheckedInputs> {
  const invalid = specBlocker(app);
  if (invalid) return { blocker: invalid, text: '' };
  const source = readConfigSource(app, deps.cache);
  if (!source.ok) return { blocker: source.blocker, text: '' };
  const check = await deps.validateConfig(source.text, source.file);
  if (!check.ok) return { blocker: { condition: 'ConfigValid', reason: 'InvalidConfig', message: check.errors.join('\n') }, text: '' };
  const configNote = `config is valid${check.warnings.length ? ` (${check.warnings.length} warnings: ${check.warnings[0]})` : ''}`;
  const plugins = await resolvePlugins(spec.plugins, deps.plugins);
  if (!plugins.ok) {
    const reason = plugins.temporary ? 'RegistryUnavailable' : 'ResolutionFailed';
    return { blocker: { condition: 'PluginsResolved', reason, message: plugins.message }, text: source.text, configNote, plugins };
  }
  return { text: source.text, configNote, plugins };
}

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
  if (!blocker && plugins?.ok) {
    const prepared = prepareEngineConfig(checked.text);
    if (prepared.injectedHealthChecker) configNote += `; health.checker "${injectedHealthModuleName}" added for the readiness and liveness probes`;
    const version = buildVersion(app, spec, prepared, plugins.resolved);
    configHash = version.configHash;
    revision = version.revision;
    plan = planRollout({ app, spec, version, live, rollout: app.status?.rollout, now: now.getTime() });
    try {
      await execute(plan, app, live, deps, actions);
    } catch (err) {
      if (isTemporary(err)) throw err;
      blocker = { condition: 'Ready', reason: err instanceof NameConflictError ? 'NameConflict' : 'ApplyFailed', message: (err as Error).message };
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

  // Nothing watches a registry or someone else's objects: look again in a while.
  if ((plugins && !plugins.ok && plugins.temporary) || blocker?.reason === 'NameConflict') return { requeueAfterMs: 30_000 };
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
function announceTransitions(prev: WorkflowAppStatus | undefined, next: WorkflowAppStatus, say: (t: EventType, r: string, m: string) => void): void {
  for (const type of ['ConfigValid', 'PluginsResolved'] as const) {
    const before = getCondition(prev?.conditions, type);
    const after = getCondition(next.conditions, type);
    if (after?.status === 'False' && (before?.status !== 'False' || before.message !== after.message)) say('Warning', after.reason, after.message);
  }
  const ready = getCondition(next.conditions, 'Ready');
  const wasReady = getCondition(prev?.conditions, 'Ready');
  if (ready?.status === 'True' && wasReady?.status !== 'True') say('Normal', 'Ready', ready.message);
  if ((ready?.reason === 'ApplyFailed' || ready?.reason === 'NameConflict') && wasReady?.message !== ready.message) say('Warning', ready.reason, ready.message);
}

function desiredHashOf(o: KubernetesObject): string {
  return o.metadata?.annotations?.[api.annotations.desiredHash] ?? '';
}

/** The object name belongs to something else; applying would take it over. Needs a rename. */
export class NameConflictError extends Error {
  readonly temporary = false;
}

/**
 * Before creating an object, make sure the name is free: server-side apply would otherwise take over
 * (and, through the ownerReference, later garbage-collect) a user's ConfigMap, Deployment or Service
 * that happens to have the name the operator derives. ConfigMaps come from the cache (it holds them
 * all); Deployments and Services (cached only when labelled as ours) are read.
 */
async function refuseForeignObjects(creating: KubernetesObject[], app: WorkflowApp, deps: ReconcileDeps): Promise<void> {
  const found = await Promise.all(
    creating.map((o) => (o.kind === 'ConfigMap' ? deps.cache.configMap(app.metadata.namespace, o.metadata?.name ?? '') : deps.client.read(o))),
  );
  for (const [i, existing] of found.entries()) {
    if (!existing) continue;
    const controller = existing.metadata?.ownerReferences?.find((r) => r.controller);
    if (controller?.uid === app.metadata.uid) continue;
    const owner = controller ? `${controller.kind} ${controller.name}` : 'no controller';
    throw new NameConflictError(
      `${creating[i]!.kind} ${app.metadata.namespace}/${existing.metadata?.name} already exists and is not this app's (${owner}); the operator will not take it over: rename or delete it, or rename the WorkflowApp`,
    );
  }
}

async function execute(plan: Plan, app: WorkflowApp, live: LiveObjects, deps: ReconcileDeps, actions: string[]): Promise<void> {
  const liveOf = (o: KubernetesObject): KubernetesObject | undefined => {
    const n = o.metadata?.name ?? '';
    return o.kind === 'Deployment' ? live.deployments.get(n) : o.kind === 'Service' ? live.services.get(n) : live.configMaps.get(n);
  };
  await refuseForeignObjects(plan.apply.filter((o) => !liveOf(o) && !deps.memory.expecting(`apply:${objectId(o)}`, desiredHashOf(o))), app, deps);
  const done: string[] = new Array(plan.apply.length);
  const applyOne = async (desired: KubernetesObject, i: number) => {
    const current = liveOf(desired);
    if (isUpToDate(desired, current, deps.memory)) return;
    const result = await deps.client.apply(desired);
    deps.memory.rememberApply(result, desiredHashOf(desired));
    done[i] = `${current ? 'updated' : 'created'} ${desired.kind} ${desired.metadata?.name}`;
  };
  // ConfigMaps and Services do not depend on anything: apply them together, then the Deployments
  // (whose pods need their ConfigMap), in plan order.
  await Promise.all(plan.apply.map((o, i) => (o.kind === 'Deployment' ? undefined : applyOne(o, i))));
  for (const [i, o] of plan.apply.entries()) if (o.kind === 'Deployment') await applyOne(o, i);
  actions.push(...done.filter(Boolean));
  for (const s of plan.scale) {
    const id = `scale:${app.metadata.namespace}/${s.name}`;
    if (deps.memory.expecting(id, String(s.replicas))) continue;
    await deps.client.scaleDeployment(app.metadata.namespace, s.name, s.replicas);
    deps.memory.expect(id, String(s.replicas));
    actions.push(`scaled Deployment ${s.name} to ${s.replicas}`);
  }
  if (!plan.prune) return;
  const groups: Array<[string, ReadonlyMap<string, V1Deployment | V1Service | V1ConfigMap>, string]> = [
    ['Deployment', live.deployments, 'apps/v1'],
    ['Service', live.services, 'v1'],
    ['ConfigMap', live.configMaps, 'v1'],
  ];
  for (const [kind, objects, apiVersion] of groups) {
    for (const [name, obj] of objects) {
      if (plan.keep.has(objectKey(kind, name))) continue;
      const id = `delete:${obj.metadata?.uid}`;
      if (deps.memory.expecting(id, '')) continue;
      await deps.client.delete({ apiVersion, kind, metadata: { name, namespace: app.metadata.namespace, uid: obj.metadata?.uid } });
      deps.memory.forget({ kind, metadata: { name, namespace: app.metadata.namespace } });
      deps.memory.expect(id, '');
      actions.push(`deleted ${kind} ${name} (no longer needed)`);
    }
  }
}
