// Pure views of cluster objects for the console: a WorkflowApp, WorkflowSource or WorkflowTenant as
// the pages show it. Unknown or missing status fields read as "Unknown"/null, never as a crash: the
// console shows whatever version of the operator wrote the object.
import type {
  AppSummary,
  ConditionView,
  EventView,
  PodView,
  SourceDetail,
  SourceHistoryView,
  SourceResourceView,
  SourceSummary,
  TenantSummary,
  UsageView,
} from '../api-types.ts';

type Obj = Record<string, unknown>;

const group = 'workflow.gocodealone.com';
export const sourceAnnotation = `${group}/source`;
export const tenantLabel = `${group}/tenant`;

const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean => v === true;
/** RFC 3339 text; client-node's typed APIs hand out Date objects for time fields. */
const time = (v: unknown): string | null =>
  v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString() : str(v);

function meta(o: Obj): { name: string; namespace: string; labels: Obj; annotations: Obj; created: string | null } {
  const m = obj(o.metadata);
  return {
    name: str(m.name) ?? '',
    namespace: str(m.namespace) ?? '',
    labels: obj(m.labels),
    annotations: obj(m.annotations),
    created: time(m.creationTimestamp),
  };
}

export function conditionsOf(status: Obj): ConditionView[] {
  return arr(status.conditions).map((c) => {
    const x = obj(c);
    return {
      type: str(x.type) ?? '',
      status: str(x.status) ?? 'Unknown',
      reason: str(x.reason) ?? '',
      message: str(x.message) ?? '',
      lastTransitionTime: time(x.lastTransitionTime),
    };
  });
}

export function appSummary(app: unknown): AppSummary {
  const o = obj(app);
  const m = meta(o);
  const spec = obj(o.spec);
  const status = obj(o.status);
  const ready = conditionsOf(status).find((c) => c.type === 'Ready');
  return {
    namespace: m.namespace,
    name: m.name,
    phase: str(status.phase) ?? (bool(spec.suspend) ? 'Suspended' : 'Pending'),
    replicas: num(spec.replicas) ?? 1,
    readyReplicas: num(status.readyReplicas) ?? 0,
    endpoint: str(status.endpoint),
    source: str(m.annotations[sourceAnnotation]),
    tenant: str(m.labels[tenantLabel]) ?? str(spec.tenant),
    revision: str(status.revision),
    strategy: str(obj(spec.strategy).type) ?? 'RollingUpdate',
    message: ready && ready.status !== 'True' ? ready.message || ready.reason || null : null,
    createdAt: m.created,
  };
}

export function podView(pod: unknown): PodView {
  const o = obj(pod);
  const m = meta(o);
  const status = obj(o.status);
  const containers = arr(status.containerStatuses).map(obj);
  const waiting = containers.map((c) => obj(obj(c.state).waiting)).find((w) => str(w.reason));
  const terminated = containers.map((c) => obj(obj(c.state).terminated)).find((t) => str(t.reason));
  const deleting = str(obj(o.metadata).deletionTimestamp) !== null;
  return {
    name: m.name,
    phase: deleting ? 'Terminating' : (str(status.phase) ?? 'Pending'),
    ready: containers.length > 0 && containers.every((c) => c.ready === true),
    restarts: containers.reduce((n, c) => n + (num(c.restartCount) ?? 0), 0),
    track: str(m.labels[`${group}/track`]),
    startedAt: time(status.startTime) ?? m.created,
    reason: str(waiting?.reason) ?? str(terminated?.reason) ?? str(status.reason),
  };
}

export function eventView(event: unknown): EventView {
  const o = obj(event);
  const involved = obj(o.involvedObject ?? o.regarding);
  const series = obj(o.series);
  return {
    type: str(o.type) ?? 'Normal',
    reason: str(o.reason) ?? '',
    message: str(o.message) ?? str(o.note) ?? '',
    object: `${str(involved.kind) ?? ''}/${str(involved.name) ?? ''}`,
    count: num(series.count) ?? num(o.count) ?? 1,
    lastSeen:
      time(series.lastObservedTime) ?? time(o.lastTimestamp) ?? time(o.eventTime) ?? time(o.firstTimestamp) ?? null,
  };
}

/** Newest first. */
export function sortEvents(events: EventView[]): EventView[] {
  return [...events].sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''));
}

export function sourceSummary(source: unknown): SourceSummary {
  const o = obj(source);
  const m = meta(o);
  const spec = obj(o.spec);
  const status = obj(o.status);
  const sync = obj(status.sync);
  return {
    namespace: m.namespace,
    name: m.name,
    repoURL: str(spec.repoURL) ?? '',
    revision: str(spec.revision),
    path: str(spec.path),
    suspended: bool(spec.suspend),
    prune: bool(spec.prune),
    selfHeal: bool(spec.selfHeal),
    syncStatus: str(sync.status) ?? 'Unknown',
    healthStatus: str(obj(status.health).status) ?? 'Unknown',
    syncedRevision: str(sync.revision),
    message: str(sync.message),
    lastSyncTime: str(status.lastSyncTime),
    resourceCount: arr(status.resources).length,
  };
}

export function sourceDetail(source: unknown, manifestYaml: string): SourceDetail {
  const status = obj(obj(source).status);
  const resources: SourceResourceView[] = arr(status.resources).map((r) => {
    const x = obj(r);
    return {
      kind: str(x.kind) ?? '',
      namespace: str(x.namespace),
      name: str(x.name) ?? '',
      status: str(x.status) ?? 'Unknown',
      health: str(x.health),
      message: str(x.message),
      file: str(x.file),
      line: num(x.line),
    };
  });
  // newest first, as the controller writes it
  const history: SourceHistoryView[] = arr(status.history).map((h) => {
    const x = obj(h);
    return {
      revision: str(x.revision) ?? '',
      startedAt: str(x.start),
      durationMs: durationMs(x.duration),
      result: str(x.result) ?? '',
      message: str(x.message),
    };
  });
  return {
    source: sourceSummary(source),
    conditions: conditionsOf(status),
    resources,
    history,
    manifestYaml,
  };
}

/** "1.42s", "350ms", "2m3s" (Go-style durations, as the controller writes them) in milliseconds. */
export function durationMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string' || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2] as keyof typeof unit];
  return Math.round(total);
}

function usage(used: unknown, limit: unknown): UsageView {
  return { used: num(used) ?? 0, limit: num(limit) };
}

export function tenantSummary(tenant: unknown): TenantSummary {
  const o = obj(tenant);
  const m = meta(o);
  const spec = obj(o.spec);
  const status = obj(o.status);
  // the effective limits (the lower of quotas and license) once the operator has written them
  const limits = { ...obj(spec.quotas), ...obj(status.limits) };
  const used = obj(status.usage);
  const license = obj(status.license);
  const conditions = conditionsOf(status);
  const valid = conditions.find((c) => c.type === 'LicenseValid');
  return {
    name: m.name,
    observed: Object.keys(status).length > 0,
    displayName: str(spec.displayName) ?? m.name,
    namespaces: arr(spec.namespaces).map(String),
    usage: {
      apps: usage(used.apps, limits.maxApps),
      replicas: usage(used.replicas, limits.maxReplicas),
      plugins: usage(used.plugins, limits.maxPlugins),
    },
    license: {
      tier: str(license.tier),
      expiresAt: str(license.expiresAt),
      features: arr(license.features).map(String),
      valid: typeof license.valid === 'boolean' ? license.valid : valid ? valid.status === 'True' : null,
      message:
        license.valid === false || (valid && valid.status !== 'True')
          ? (str(license.reason) ?? (valid?.message || valid?.reason || null))
          : null,
    },
    conditions,
  };
}

/** Sorts by namespace, then name. */
export function byNamespaceAndName<T extends { namespace?: string; name: string }>(a: T, b: T): number {
  return (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
}
