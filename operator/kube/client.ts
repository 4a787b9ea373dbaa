// The one door to the Kubernetes API. A thin wrapper over @kubernetes/client-node 1.4.0 that adds
// what the client lacks: typed errors, server-side apply under our field manager, status patches
// guarded by resourceVersion, the scale subresource, and a count of every write (for metrics and
// the "zero writes at steady state" check). Nothing here knows which cluster it talks to.
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { closeConnections, enableConnectionReuse } from './connection-reuse.ts';
import { isNotFound, toKubeError } from './errors.ts';

export type WriteVerb = 'apply' | 'create' | 'update' | 'patch' | 'delete';

export interface KubeClientOptions {
  /** Server-side apply field manager. */
  fieldManager: string;
  /** Called after every successful write: metrics and the bench count them. */
  onWrite?: (verb: WriteVerb, kind: string) => void;
}

/** Enough of an object to address it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string };
}

/** A custom resource addressed by group/version/plural. */
export interface CustomRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error(
      path
        ? `kubeconfig ${path} has no current cluster`
        : 'no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or run in a cluster',
    );
  }
  return kc;
}

function isConnectionReset(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

export function describeRef(ref: ObjectRef): string {
  const ns = ref.metadata.namespace ? `${ref.metadata.namespace}/` : '';
  return `${ref.kind} ${ns}${ref.metadata.name}`;
}

export class KubeClient {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  private readonly objects: KubernetesObjectApi;

  constructor(
    readonly kc: KubeConfig,
    private readonly opts: KubeClientOptions,
  ) {
    enableConnectionReuse(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(kc);
  }

  /** Closes pooled connections; the client is not used afterwards. */
  close(): void {
    closeConnections(this.kc);
  }

  get fieldManager(): string {
    return this.opts.fieldManager;
  }

  /** Runs a call, turning client-node failures into typed errors named after the operation. */
  async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // A kept-alive connection the server closed just as it was reused: the request never got
      // through, so one immediate retry on a fresh connection is safe.
      if (!isConnectionReset(err)) throw toKubeError(operation, err);
    }
    try {
      return await fn();
    } catch (err) {
      throw toKubeError(operation, err);
    }
  }

  /** Counts a write done outside this class (leases, events). */
  wrote(verb: WriteVerb, kind: string): void {
    this.opts.onWrite?.(verb, kind);
  }

  /**
   * Server-side apply: the object holds exactly the fields we own. `force` takes fields over from
   * other managers (right for objects the operator alone manages). `dryRun`: what the object would
   * become, nothing stored (wfctl diff).
   */
  async apply<T extends KubernetesObject>(obj: T, opts: { force?: boolean; dryRun?: boolean } = {}): Promise<T> {
    const out = await this.call(`apply ${describeRef(obj as ObjectRef)}`, () =>
      this.objects.patch(
        obj,
        undefined,
        opts.dryRun ? 'All' : undefined,
        this.opts.fieldManager,
        opts.force ?? true,
        PatchStrategy.ServerSideApply,
      ),
    );
    if (!opts.dryRun) this.wrote('apply', obj.kind ?? '');
    return out as T;
  }

  async read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return (await this.call(`get ${describeRef(ref)}`, () =>
        this.objects.read({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.metadata.name!, namespace: ref.metadata.namespace },
        }),
      )) as T;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Deletes in the background (dependents go to the garbage collector). With a uid the delete only
   * happens if the object is still the one we saw. Already gone counts as done.
   */
  async delete(ref: ObjectRef): Promise<void> {
    const uid = ref.metadata.uid;
    try {
      await this.call(`delete ${describeRef(ref)}`, () =>
        this.objects.delete(
          {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.metadata.name, namespace: ref.metadata.namespace },
          },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
          { propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) },
        ),
      );
      this.wrote('delete', ref.kind);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Changes only spec.replicas, through the scale subresource (leaves the pod template alone). */
  async scaleDeployment(namespace: string, name: string, replicas: number): Promise<void> {
    await this.call(`scale Deployment ${namespace}/${name} to ${replicas}`, () =>
      this.apps.patchNamespacedDeploymentScale(
        { namespace, name, body: { spec: { replicas } }, fieldManager: this.opts.fieldManager },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    this.wrote('patch', 'Deployment');
  }

  /** Merge-patches a custom resource's metadata (annotations, labels). */
  async patchCustomMetadata(ref: CustomRef, metadata: Record<string, unknown>): Promise<void> {
    await this.call(`annotate ${ref.plural}.${ref.group} ${ref.namespace}/${ref.name}`, () =>
      this.custom.patchNamespacedCustomObject(
        {
          group: ref.group,
          version: ref.version,
          plural: ref.plural,
          namespace: ref.namespace,
          name: ref.name,
          body: { metadata },
          fieldManager: this.opts.fieldManager,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    this.wrote('patch', ref.plural);
  }

  /** Merge-patches a cluster-scoped custom resource's status subresource. */
  async patchClusterCustomStatus(ref: Omit<CustomRef, 'namespace'>, status: unknown): Promise<void> {
    await this.call(`update status of ${ref.plural}.${ref.group} ${ref.name}`, () =>
      this.custom.patchClusterCustomObjectStatus(
        {
          group: ref.group,
          version: ref.version,
          plural: ref.plural,
          name: ref.name,
          body: { status },
          fieldManager: this.opts.fieldManager,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    this.wrote('patch', `${ref.plural}/status`);
  }

  /**
   * Merge-patches a custom resource's status subresource. With `resourceVersion` the patch fails
   * with 409 if the object changed since it was read, so a status computed from a stale spec is
   * never written.
   */
  async patchCustomStatus<T>(ref: CustomRef, status: unknown, resourceVersion?: string): Promise<T> {
    const body: Record<string, unknown> = { status };
    if (resourceVersion) body.metadata = { resourceVersion };
    const out = await this.call(`update status of ${ref.plural}.${ref.group} ${ref.namespace}/${ref.name}`, () =>
      this.custom.patchNamespacedCustomObjectStatus(
        {
          group: ref.group,
          version: ref.version,
          plural: ref.plural,
          namespace: ref.namespace,
          name: ref.name,
          body,
          fieldManager: this.opts.fieldManager,
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    this.wrote('patch', `${ref.plural}/status`);
    return out as T;
  }
}
