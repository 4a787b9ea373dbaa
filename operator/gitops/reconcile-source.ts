// reconcileSource(key): one level-triggered pass over one WorkflowSource, shaped like the
// WorkflowApp reconcile: it reads the caches, writes only through the ports, and writes status
// only when it changed (a resync that finds nothing new makes no API write at all).
//
//   source -> fetch when due (interval, webhook, spec change, wfctl sync) -> rendered objects
//     -> compare with live (syncStatus) -> apply OutOfSync in waves -> prune -> health -> status
//
// Apply happens in a sync operation: a new revision or spec, `wfctl sync`, or drift with selfHeal.
// Otherwise drift is only reported (OutOfSync). A fetch failure touches nothing live; prune never
// runs when any file of the revision failed to parse, render or validate.
import type { KubernetesObject } from '@kubernetes/client-node';
import * as api from '../api/source-constants.ts';
import type { ResourceStatus, SyncResult, WorkflowSource, WorkflowSourceStatus } from '../api/source-types.ts';
import { isUpToDate } from '../controller/up-to-date.ts';
import { health as healthOf, worstOf, type Health } from '../health/health.ts';
import { isTemporary } from '../kube/errors.ts';
import type { EventType } from '../kube/events.ts';
import { FetchError } from './git-fetch.ts';
import type { Fetched, SourceDeps, SourceResult } from './ports.ts';
import { describeObject, groupOf, refId, type DesiredObject, type ObjectRef } from './render-source.ts';
import {
  formatDuration,
  mergeConditions,
  mergePatchFrom,
  parseInterval,
  pushHistory,
  statusChanged,
  timestamp,
  type ConditionUpdate,
} from './status.ts';
import { syncStatus } from './sync-status.ts';

/** How long a sync waits before looking again at a wave whose objects are still progressing. */
const waveRecheckMs = 1_000;

export async function reconcileSource(key: string, deps: SourceDeps): Promise<SourceResult> {
  const slash = key.indexOf('/');
  const namespace = key.slice(0, slash);
  const name = key.slice(slash + 1);
  const src = deps.cache.source(namespace, name);
  if (!src || src.metadata.deletionTimestamp) {
    await deps.forget(key);
    return {};
  }
  const started = deps.now();
  const now = timestamp(started);
  const generation = src.metadata.generation ?? 0;
  const prev = src.status ?? {};
  const mem = deps.memory(key);
  const say = (type: EventType, reason: string, message: string) => deps.events.event(src, type, reason, message);
  const interval = parseInterval(src.spec.interval);

  if (src.spec.suspend) {
    const next: WorkflowSourceStatus = {
      ...prev,
      observedGeneration: generation,
      conditions: mergeConditions(
        prev.conditions,
        [
          {
            type: 'Ready',
            status: 'False',
            reason: 'Suspended',
            message: 'spec.suspend: nothing is fetched, applied or pruned',
          },
        ],
        generation,
        now,
      ),
    };
    if (await writeStatus(src, prev, next, deps)) say('Normal', 'Suspended', 'syncing suspended (spec.suspend)');
    return {};
  }
  if (interval === undefined) {
    const message = `spec.interval "${src.spec.interval}" is not a duration like 30s, 1m or 1h30m`;
    await writeStatus(src, prev, failedStatus(prev, generation, now, 'InvalidSpec', message), deps);
    return {};
  }

  // 1. Fetch when due.
  const syncRequest = src.metadata.annotations?.[api.annotations.syncRequestedAt];
  const forced = syncRequest !== undefined && syncRequest !== prev.lastHandledSyncRequest;
  const refresh = src.metadata.annotations?.[api.annotations.refreshRequestedAt];
  if (refresh !== undefined && refresh !== mem.refreshAnnotation) {
    mem.refreshAnnotation = refresh;
    mem.refreshRequested = true;
  }
  const specKey = JSON.stringify([generation, src.spec]);
  const due =
    !mem.fetched || mem.fetchedFor !== specKey || started >= mem.nextFetchAt || mem.refreshRequested || forced;
  if (due) {
    const pushed = mem.refreshRequested || forced;
    mem.refreshRequested = false;
    try {
      mem.fetched = await deps.fetch(src, { pushed });
      mem.fetchedFor = specKey;
      mem.failures = 0;
      mem.nextFetchAt = started + interval * deps.jitter();
    } catch (err) {
      // The API server failing while the credentials Secret is read: the queue's backoff retries.
      if (!(err instanceof FetchError) && isTemporary(err)) throw err;
      mem.failures++;
      const retryMs = Math.min(interval, 1000 * 2 ** Math.min(mem.failures - 1, 10));
      mem.nextFetchAt = started + retryMs;
      const message = (err as Error).message;
      const next = fetchFailedStatus(prev, generation, now, message, mem.failures, !!mem.fetched);
      if (await writeStatus(src, prev, next, deps)) say('Warning', 'FetchFailed', message);
      return { requeueAfterMs: retryMs };
    }
  }
  // The last fetch failed and the retry is not due yet: its status (Fetched False, Stalled once it
  // keeps failing) stands until that retry. Syncing the old revision here would report the source
  // Fetched again on every event in between (the failure's own status write is one), so the status
  // flapped and Stalled never held.
  if (mem.failures > 0) return { requeueAfterMs: Math.max(0, mem.nextFetchAt - started) };
  const fetched = mem.fetched as Fetched;
  const { commit, rendered } = fetched;

  // 2. Compare with live.
  const liveOf = async (ref: ObjectRef): Promise<KubernetesObject | undefined> => {
    const cached = deps.cache.live(ref);
    return cached === 'uncached' ? deps.client.read(ref) : cached;
  };
  const failedFiles = rendered.problems.filter((p) => p.status === 'Failed');
  const refusedIds = new Set(rendered.problems.filter((p) => p.kind && p.name).map((p) => refId(p as ObjectRef)));
  const desiredIds = new Set(rendered.objects.map(refId));
  const ownedBySomeoneElse = new Map<string, string>();
  const live = new Map<string, KubernetesObject | undefined>();
  const outOfSync = new Map<string, string>();
  for (const o of rendered.objects) {
    const obj = await liveOf(o);
    live.set(refId(o), obj);
    const tracker = obj?.metadata?.annotations?.[api.annotations.source];
    if (obj && tracker && tracker !== key) {
      ownedBySomeoneElse.set(refId(o), tracker);
      continue;
    }
    // isUpToDate also covers an apply the cache does not show yet (and clears that expectation once it does).
    const upToDate = isUpToDate(o.object, obj, deps.writes);
    const verdict = syncStatus(o.object, obj);
    if (verdict.status === 'OutOfSync' && !upToDate) outOfSync.set(refId(o), verdict.message);
  }
  const orphans = deps.cache
    .tracked(key)
    .filter((o) => !desiredIds.has(refId(refOf(o))) && !refusedIds.has(refId(refOf(o))));
  // Uncached kinds this source applied earlier are known from its last status.
  for (const r of prev.resources ?? []) {
    const ref = { group: r.group ?? '', version: r.version, kind: r.kind, namespace: r.namespace, name: r.name };
    if (desiredIds.has(refId(ref)) || refusedIds.has(refId(ref)) || deps.cache.live(ref) !== 'uncached') continue;
    if (r.status === 'Pruned' || r.status === 'Failed' || r.status === 'Refused') continue;
    const obj = await deps.client.read(ref);
    if (obj?.metadata?.annotations?.[api.annotations.source] === key) orphans.push(obj);
  }

  // 3. A sync operation: apply what is OutOfSync, wave by wave, then prune.
  // After a restart the memory is empty: a sync recorded for this commit at this generation counts.
  if (
    mem.syncedGeneration === undefined &&
    prev.observedGeneration === generation &&
    prev.history?.[0]?.revision === commit.oid
  )
    mem.syncedGeneration = generation;
  const newRevision = prev.history?.[0]?.revision !== commit.oid || mem.syncedGeneration !== generation;
  const operation =
    newRevision ||
    forced ||
    (src.spec.selfHeal === true &&
      (outOfSync.size > 0 || (src.spec.prune === true && orphans.length > 0 && failedFiles.length === 0)));
  const applyErrors = new Map<string, string>();
  const applied: string[] = [];
  const pruned: string[] = [];
  let waitingOn: string | undefined;
  let stoppedOn: string | undefined;
  if (operation) {
    const groups = waves(rendered.objects.filter((o) => !ownedBySomeoneElse.has(refId(o))));
    for (const [i, group] of groups.entries()) {
      if (i > 0) {
        // Argo CD's rule: a wave starts once every object of the waves before it is Healthy.
        const blocking = groups
          .slice(0, i)
          .flat()
          .map((o) => ({ o, h: healthOf(o.kind, live.get(refId(o))) }))
          .find(({ o, h }) => h.status !== 'Healthy' && !applyErrors.has(refId(o)));
        if (blocking) {
          if (blocking.h.status === 'Degraded' || blocking.h.status === 'Missing')
            stoppedOn = `${describeObject(blocking.o)} is ${blocking.h.status}: later waves were not applied`;
          else waitingOn = `waiting for ${describeObject(blocking.o)} (${blocking.h.status}) before the next wave`;
          break;
        }
      }
      const todo = group.filter((o) => outOfSync.has(refId(o)));
      await inParallel(todo, deps.applyConcurrency ?? 8, async (o) => {
        try {
          const result = await deps.client.apply(o.object);
          deps.writes.rememberApply(
            result,
            o.object.metadata?.annotations?.['workflow.gocodealone.com/desired-hash'] ?? '',
          );
          live.set(refId(o), result);
          outOfSync.delete(refId(o));
          applied.push(describeObject(o));
        } catch (err) {
          if (isTemporary(err)) throw err;
          applyErrors.set(refId(o), (err as Error).message);
        }
      });
    }
  }
  const pruneBlockedBy =
    failedFiles.length > 0
      ? `prune skipped: ${failedFiles.length} file problem${failedFiles.length === 1 ? '' : 's'} in this ` +
        `revision (${where(failedFiles[0]!)})`
      : undefined;
  const prunedIds = new Set<string>();
  if (operation && src.spec.prune && !pruneBlockedBy && !waitingOn && !stoppedOn) {
    // WorkflowApps first, so an app never runs without the ConfigMap or Secret it references.
    const ordered = [...orphans].sort((a, b) => rank(b) - rank(a));
    for (const o of ordered) {
      try {
        await deps.client.delete(o);
        deps.writes.forget(o);
        prunedIds.add(refId(refOf(o)));
        pruned.push(describeObject(refOf(o)));
      } catch (err) {
        if (isTemporary(err)) throw err;
        applyErrors.set(refId(refOf(o)), (err as Error).message);
      }
    }
  }

  // 4. Status.
  const resources: ResourceStatus[] = [];
  const healths: Health[] = [];
  for (const o of rendered.objects) {
    const id = refId(o);
    const h = healthOf(o.kind, live.get(id));
    const base = {
      group: o.group || undefined,
      kind: o.kind,
      namespace: o.namespace,
      name: o.name,
      file: o.file,
      line: o.line,
    };
    if (ownedBySomeoneElse.has(id)) {
      resources.push({
        ...base,
        status: 'Failed',
        message: `already synced by WorkflowSource ${ownedBySomeoneElse.get(id)}`,
      });
      continue;
    }
    healths.push(h);
    if (applyErrors.has(id))
      resources.push({ ...base, status: 'Failed', health: h.status, message: applyErrors.get(id) });
    else if (outOfSync.has(id))
      resources.push({ ...base, status: 'OutOfSync', health: h.status, message: outOfSync.get(id) });
    else
      resources.push({
        ...base,
        status: 'Synced',
        health: h.status,
        ...(h.status !== 'Healthy' && h.message ? { message: h.message } : {}),
      });
  }
  for (const p of rendered.problems) {
    resources.push({
      ...(p.group ? { group: p.group } : {}),
      kind: p.kind ?? '',
      ...(p.namespace ? { namespace: p.namespace } : {}),
      name: p.name ?? '',
      status: p.status,
      message: `${where(p)}: ${p.message}`,
      file: p.file,
      ...(p.line !== undefined ? { line: p.line } : {}),
    });
  }
  for (const o of orphans) {
    const ref = refOf(o);
    const id = refId(ref);
    const base = {
      group: ref.group || undefined,
      version: ref.version,
      kind: ref.kind,
      namespace: ref.namespace,
      name: ref.name,
    };
    if (prunedIds.has(id)) resources.push({ ...base, status: 'Pruned', message: 'gone from git: deleted' });
    else if (applyErrors.has(id)) resources.push({ ...base, status: 'Failed', message: applyErrors.get(id) });
    else
      resources.push({
        ...base,
        status: 'PruneSkipped',
        health: healthOf(ref.kind, o).status,
        message: src.spec.prune
          ? (pruneBlockedBy ?? 'gone from git: pruned at the next sync')
          : 'gone from git; spec.prune is off',
      });
  }
  const aggregate = healths.length ? worstOf(...healths) : { status: 'Healthy' as const, message: '' };
  const remainingOrphans = orphans.length - prunedIds.size;
  const synced =
    outOfSync.size === 0 &&
    applyErrors.size === 0 &&
    failedFiles.length === 0 &&
    remainingOrphans === 0 &&
    ownedBySomeoneElse.size === 0;
  const firstProblem = failedFiles[0] ?? rendered.problems[0];
  const syncMessage = synced
    ? commit.subject
    : [
        outOfSync.size ? `${outOfSync.size} OutOfSync${src.spec.selfHeal ? '' : ' (selfHeal is off)'}` : '',
        applyErrors.size ? `${applyErrors.size} failed to apply` : '',
        firstProblem
          ? `${where(firstProblem)}: ` +
            `${firstProblem.message}` +
            `${rendered.problems.length > 1 ? ` (and ${rendered.problems.length - 1} more)` : ''}`
          : '',
        remainingOrphans ? `${remainingOrphans} to prune${pruneBlockedBy ? ` (${pruneBlockedBy})` : ''}` : '',
        ownedBySomeoneElse.size ? `${ownedBySomeoneElse.size} synced by another source` : '',
      ]
        .filter(Boolean)
        .join('; ');

  const problemsCount = rendered.problems.length + applyErrors.size + ownedBySomeoneElse.size;
  const applyMessage = problemsCount
    ? [
        ...rendered.problems.slice(0, 5).map((p) => `${where(p)}: ${p.message}`),
        ...[...applyErrors.values()].slice(0, 5),
        ...(pruneBlockedBy && remainingOrphans ? [pruneBlockedBy] : []),
      ].join('\n')
    : `${rendered.objects.length} objects from ` +
      `${commit.oid.slice(0, 7)}${pruned.length ? `; pruned ${pruned.length}` : ''}`;
  const conditions: ConditionUpdate[] = [
    {
      type: 'Fetched',
      status: 'True',
      reason: 'Fetched',
      message: `${commit.oid.slice(0, 7)} "${commit.subject}" by ${commit.author}`,
    },
    { type: 'Stalled', status: 'False', reason: 'Fetched', message: 'git is reachable' },
    problemsCount
      ? {
          type: 'Applied',
          status: 'False',
          reason: failedFiles.length ? 'InvalidFiles' : applyErrors.size ? 'ApplyFailed' : 'Refused',
          message: applyMessage,
        }
      : { type: 'Applied', status: 'True', reason: 'Applied', message: applyMessage },
  ];
  const ready: ConditionUpdate = stoppedOn
    ? { type: 'Ready', status: 'False', reason: 'WaveDegraded', message: stoppedOn }
    : waitingOn
      ? { type: 'Ready', status: 'False', reason: 'Progressing', message: waitingOn }
      : problemsCount && !synced
        ? {
            type: 'Ready',
            status: 'False',
            reason: failedFiles.length ? 'InvalidFiles' : 'ApplyFailed',
            message: syncMessage,
          }
        : !synced
          ? { type: 'Ready', status: 'False', reason: 'OutOfSync', message: syncMessage }
          : aggregate.status !== 'Healthy'
            ? { type: 'Ready', status: 'False', reason: aggregate.status, message: aggregate.message }
            : {
                type: 'Ready',
                status: 'True',
                reason: 'Synced',
                message: `synced to ${commit.oid.slice(0, 7)}, all healthy`,
              };
  conditions.push(ready);

  const next: WorkflowSourceStatus = {
    observedGeneration: generation,
    sync: {
      status: synced ? 'Synced' : 'OutOfSync',
      revision: commit.oid,
      message: syncMessage,
      author: commit.author,
    },
    health: { status: aggregate.status, ...(aggregate.message ? { message: aggregate.message } : {}) },
    resources,
    conditions: mergeConditions(prev.conditions, conditions, generation, now),
    ...(prev.history ? { history: prev.history } : {}),
    ...(prev.lastSyncTime ? { lastSyncTime: prev.lastSyncTime } : {}),
    ...(prev.lastHandledSyncRequest ? { lastHandledSyncRequest: prev.lastHandledSyncRequest } : {}),
  };
  const finished = operation && !waitingOn;
  const changedSomething = applied.length > 0 || pruned.length > 0;
  if (finished && (newRevision || forced || changedSomething)) {
    const result: SyncResult =
      stoppedOn || (applyErrors.size > 0 && applied.length === 0 && pruned.length === 0)
        ? 'Failed'
        : problemsCount
          ? 'PartiallySucceeded'
          : 'Succeeded';
    const end = deps.now();
    next.history = pushHistory(prev.history, {
      revision: commit.oid,
      start: now,
      duration: formatDuration(end - started),
      result,
      message:
        stoppedOn ??
        (applied.length || pruned.length ? `applied ${applied.length}, pruned ${pruned.length}` : 'nothing to change') +
          (problemsCount ? `; ${problemsCount} problem${problemsCount === 1 ? '' : 's'}` : ''),
    });
    next.lastSyncTime = timestamp(end);
    mem.syncedGeneration = generation;
  }
  if (forced && !waitingOn) next.lastHandledSyncRequest = syncRequest;
  await writeStatus(src, prev, next, deps);
  if (applied.length || pruned.length)
    say(
      'Normal',
      'Synced',
      `${commit.oid.slice(0, 7)}: applied ${applied.length}${pruned.length ? `, pruned ${pruned.join(', ')}` : ''}`,
    );
  for (const [id, message] of applyErrors)
    if (!(prev.resources ?? []).some((r) => r.message === message)) say('Warning', 'ApplyFailed', `${id}: ${message}`);

  const untilFetch = Math.max(0, mem.nextFetchAt - deps.now());
  return { requeueAfterMs: waitingOn ? Math.min(waveRecheckMs, untilFetch) : untilFetch };
}

function where(p: { file: string; line?: number; column?: number }): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}${p.column !== undefined ? `:${p.column}` : ''}`;
}

function refOf(o: KubernetesObject): ObjectRef {
  return {
    group: groupOf(o.apiVersion),
    kind: o.kind ?? '',
    namespace: o.metadata?.namespace,
    name: o.metadata?.name ?? '',
  };
}

/** Prune order: higher first (apps before what they reference). */
function rank(o: KubernetesObject): number {
  return o.kind === 'ConfigMap' || o.kind === 'Secret' ? 0 : 1;
}

/** Objects grouped into waves, in apply order: ConfigMaps and Secrets, then each sync wave. */
function waves(objects: DesiredObject[]): DesiredObject[][] {
  const out: DesiredObject[][] = [];
  let key: string | undefined;
  for (const o of objects) {
    const k = o.group === '' && (o.kind === 'ConfigMap' || o.kind === 'Secret') ? 'config' : `wave ${o.wave}`;
    if (k !== key) out.push([]);
    key = k;
    out[out.length - 1]!.push(o);
  }
  // ConfigMaps and Secrets are Healthy once they exist: they never hold the first wave back.
  if (out.length > 1 && out[0]![0] && (out[0]![0].kind === 'ConfigMap' || out[0]![0].kind === 'Secret')) {
    const [config, first, ...rest] = out;
    return [[...config!, ...first!], ...rest];
  }
  return out;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function failedStatus(
  prev: WorkflowSourceStatus,
  generation: number,
  now: string,
  reason: string,
  message: string,
): WorkflowSourceStatus {
  return {
    ...prev,
    observedGeneration: generation,
    conditions: mergeConditions(
      prev.conditions,
      [{ type: 'Ready', status: 'False', reason, message }],
      generation,
      now,
    ),
  };
}

function fetchFailedStatus(
  prev: WorkflowSourceStatus,
  generation: number,
  now: string,
  message: string,
  failures: number,
  haveRevision: boolean,
): WorkflowSourceStatus {
  const stalled = failures >= api.stalledAfterFailures;
  const note = haveRevision ? 'live objects are left as they are' : 'nothing was applied';
  return {
    ...prev,
    observedGeneration: generation,
    sync: { ...(prev.sync ?? {}), status: haveRevision ? (prev.sync?.status ?? 'Unknown') : 'Unknown', message },
    conditions: mergeConditions(
      prev.conditions,
      [
        { type: 'Fetched', status: 'False', reason: 'FetchFailed', message },
        {
          type: 'Stalled',
          status: stalled ? 'True' : 'False',
          reason: stalled ? 'FetchFailing' : 'Retrying',
          message: stalled
            ? `${failures} fetches in a row failed; still retrying: ${message}`
            : `retrying (${failures} failed)`,
        },
        { type: 'Ready', status: 'False', reason: 'FetchFailed', message: `${message}; ${note}` },
      ],
      generation,
      now,
    ),
  };
}

/** Patches the status when it changed; true when it did. */
async function writeStatus(
  src: WorkflowSource,
  prev: WorkflowSourceStatus,
  next: WorkflowSourceStatus,
  deps: SourceDeps,
): Promise<boolean> {
  if (!statusChanged(prev, next)) return false;
  const id = `source-status:${src.metadata.namespace}/${src.metadata.name}`;
  const json = JSON.stringify(next);
  if (deps.writes.expecting(id, json)) return false;
  await deps.client.patchStatus(src, mergePatchFrom(prev, next));
  deps.writes.expect(id, json);
  return true;
}
