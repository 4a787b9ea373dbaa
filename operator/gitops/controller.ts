// The WorkflowSource controller: the sources' informer and the WorkflowApp controller's informers
// (one watch per kind in the process) feed keys into a work queue; workers run reconcileSource.
// A change to any object a source synced (its tracking annotation) brings the source back, a
// little delayed so a burst of app status updates costs one pass. It also owns the git caches and
// answers push webhooks.
import type { KubernetesListObject, KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import * as appApi from '../api/constants.ts';
import * as api from '../api/source-constants.ts';
import type { WorkflowSource } from '../api/source-types.ts';
import type { ConfigValidator } from '../config/validator.ts';
import type { SharedInformers } from '../controller/controller.ts';
import { WriteMemory } from '../controller/up-to-date.ts';
import type { KubeClient } from '../kube/client.ts';
import { isConflict, isTemporary } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/events.ts';
import { ResilientInformer } from '../kube/informer.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { DefaultControllerRateLimiter, systemClock, WorkQueue } from '../../common/index.ts';
import { FetchError, GitFetcher, GitTree, isRemoteRepo, type GitCredentials } from './git-fetch.ts';
import type { Fetched, SourceDeps, SourceMemory } from './ports.ts';
import { reconcileSource } from './reconcile-source.ts';
import { checkEmbeddedConfigs } from './check-configs.ts';
import { renderSource, type ObjectRef } from './render-source.ts';
import { pushMatches, type PushEvent } from './webhook.ts';

export interface SourceControllerOptions {
  /** A client whose field manager is workflow-gitops. */
  client: KubeClient;
  informers: SharedInformers;
  namespace?: string;
  workers?: number;
  /** Where the per-source git caches live. */
  cacheDir: string;
  /** Sources may name a local path as repoURL (development; off for an operator in a cluster). */
  allowLocalRepos?: boolean;
  validateConfig: ConfigValidator;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
}

const eventDelayMs = 250;

export class WorkflowSourceController {
  readonly queue: WorkQueue<string>;
  readonly writes = new WriteMemory();
  private readonly sources: ResilientInformer<WorkflowSource & KubernetesObject>;
  private readonly secrets: ResilientInformer<V1Secret>;
  private readonly fetcher: GitFetcher;
  private readonly memories = new Map<string, SourceMemory>();
  private readonly rendered = new Map<string, { key: string; fetched: Fetched }>();
  private readonly deps: SourceDeps;
  private workers: Promise<void>[] = [];
  private running = false;
  private onStop!: () => void;
  private readonly stopped = new Promise<void>((resolve) => {
    this.onStop = resolve;
  });

  constructor(private readonly opts: SourceControllerOptions) {
    const clock = systemClock;
    this.queue = new WorkQueue<string>(clock, new DefaultControllerRateLimiter(clock));
    this.fetcher = new GitFetcher(opts.cacheDir);
    const { client, namespace } = opts;
    const ns = namespace ? `/namespaces/${namespace}` : '';
    const common = { logger: opts.logger, clock };
    this.sources = new ResilientInformer(client.kc, {
      ...common,
      name: api.plural,
      path: `/apis/${appApi.group}/${appApi.version}${ns}/${api.plural}`,
      list: () =>
        (namespace
          ? client.custom.listNamespacedCustomObject({
              group: appApi.group,
              version: appApi.version,
              namespace,
              plural: api.plural,
            })
          : client.custom.listClusterCustomObject({
              group: appApi.group,
              version: appApi.version,
              plural: api.plural,
            })) as Promise<KubernetesListObject<WorkflowSource & KubernetesObject>>,
    });
    // Only the Secrets sources applied (by label): the operator has no business caching the rest.
    this.secrets = new ResilientInformer(client.kc, {
      ...common,
      name: 'secrets',
      path: `/api/v1${ns}/secrets`,
      labelSelector: api.labels.sourceName,
      list: () =>
        namespace
          ? client.core.listNamespacedSecret({ namespace, labelSelector: api.labels.sourceName })
          : client.core.listSecretForAllNamespaces({ labelSelector: api.labels.sourceName }),
    });

    this.sources.on((src, event) => {
      const key = `${src.metadata.namespace}/${src.metadata.name}`;
      if (event === 'delete') void this.forget(key);
      else this.queue.add(key);
    });
    const toSource = (obj: KubernetesObject) => {
      const key = obj.metadata?.annotations?.[api.annotations.source];
      if (key && this.sources.get(key.slice(key.indexOf('/') + 1), key.slice(0, key.indexOf('/'))))
        this.queue.addAfter(key, eventDelayMs);
    };
    const { apps, configMaps, deployments, services } = opts.informers;
    for (const informer of [
      apps,
      configMaps,
      deployments,
      services,
      this.secrets,
    ] as ResilientInformer<KubernetesObject>[])
      informer.on(toSource);

    const cached: Record<string, ResilientInformer<KubernetesObject>> = {
      [`${appApi.group}/${appApi.kind}`]: apps as unknown as ResilientInformer<KubernetesObject>,
      '/ConfigMap': configMaps as ResilientInformer<KubernetesObject>,
      '/Secret': this.secrets as ResilientInformer<KubernetesObject>,
      'apps/Deployment': deployments as ResilientInformer<KubernetesObject>,
      '/Service': services as ResilientInformer<KubernetesObject>,
    };
    this.deps = {
      cache: {
        source: (namespace, name) => this.sources.get(name, namespace),
        live: (ref: ObjectRef) => {
          const informer = cached[`${ref.group}/${ref.kind}`];
          return informer ? informer.get(ref.name, ref.namespace) : 'uncached';
        },
        tracked: (key) => {
          const [ns, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
          const out: KubernetesObject[] = [];
          for (const informer of Object.values(cached)) {
            for (const o of informer.list()) {
              const labels = o.metadata?.labels;
              if (labels?.[api.labels.sourceName] !== name || labels?.[api.labels.sourceNamespace] !== ns) continue;
              if (o.metadata?.annotations?.[api.annotations.source] === key) out.push(o);
            }
          }
          return out;
        },
      },
      client: {
        apply: (obj) => client.apply(obj),
        read: (ref) =>
          client.read({
            apiVersion: ref.group ? `${ref.group}/${ref.version ?? 'v1'}` : (ref.version ?? 'v1'),
            kind: ref.kind,
            metadata: { name: ref.name, namespace: ref.namespace },
          }),
        delete: (obj) =>
          client.delete({
            apiVersion: obj.apiVersion ?? 'v1',
            kind: obj.kind ?? '',
            metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace, uid: obj.metadata?.uid },
          }),
        patchStatus: async (src, patch) => {
          await client.patchCustomStatus(
            {
              group: appApi.group,
              version: appApi.version,
              plural: api.plural,
              namespace: src.metadata.namespace,
              name: src.metadata.name,
            },
            patch,
          );
        },
      },
      fetch: (src, { pushed }) => this.fetchAndRender(src, pushed),
      memory: (key) => {
        let m = this.memories.get(key);
        if (!m) this.memories.set(key, (m = { nextFetchAt: 0, failures: 0, refreshRequested: false }));
        return m;
      },
      forget: (key) => this.forget(key),
      writes: this.writes,
      events: opts.events,
      now: () => Date.now(),
      jitter: () => 0.9 + Math.random() * 0.2,
      logger: opts.logger,
    };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const shared = Object.values(this.opts.informers).map((i) => i.hasSynced);
    // The shared informers are started by the WorkflowApp controller; a stop must not wait on them.
    await Promise.race([Promise.all([this.sources.start(), this.secrets.start(), ...shared]), this.stopped]);
    if (!this.running) return;
    for (const s of this.sources.list()) this.queue.add(`${s.metadata.namespace}/${s.metadata.name}`);
    const n = Math.max(1, this.opts.workers ?? 2);
    this.workers = Array.from({ length: n }, () => this.work());
    this.opts.logger.info({ sources: this.sources.list().length, workers: n }, 'source controller started');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.onStop();
    this.queue.shutDown();
    await Promise.all([this.sources.stop(), this.secrets.stop()]);
    await Promise.all(this.workers);
  }

  /** A push: every source following that repository (and ref) fetches now. */
  async onPush(event: PushEvent): Promise<string[]> {
    const keys: string[] = [];
    for (const s of this.sources.list()) {
      if (!pushMatches(event, s.spec.repoURL, s.spec.revision)) continue;
      const key = `${s.metadata.namespace}/${s.metadata.name}`;
      const memory = this.deps.memory(key);
      // A push of the commit already synced (a redelivery, another branch's push) needs no fetch.
      if (!event.after || memory.fetched?.commit.oid !== event.after) memory.refreshRequested = true;
      this.queue.add(key);
      keys.push(key);
    }
    return keys;
  }

  informerStats(): Record<string, { restarts: number; relists: number }> {
    return {
      workflowsources: { restarts: this.sources.restarts, relists: this.sources.relists },
      secrets: { restarts: this.secrets.restarts, relists: this.secrets.relists },
    };
  }

  private async forget(key: string): Promise<void> {
    this.memories.delete(key);
    this.rendered.delete(key);
    await this.fetcher.forget(key);
  }

  private async credentials(src: WorkflowSource): Promise<GitCredentials | undefined> {
    const ref = src.spec.secretRef?.name;
    if (!ref) return undefined;
    const secret = await this.opts.client.read<V1Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref, namespace: src.metadata.namespace },
    });
    if (!secret) throw new FetchError(`spec.secretRef: Secret ${src.metadata.namespace}/${ref} does not exist`, false);
    const value = (k: string) => {
      const v = secret.data?.[k];
      return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
    };
    const creds = { token: value('token'), username: value('username'), password: value('password') };
    if (!creds.token && !creds.password)
      throw new FetchError(`spec.secretRef: Secret ${ref} has neither "token" nor "username"/"password"`, false);
    return creds;
  }

  private async fetchAndRender(src: WorkflowSource, pushed: boolean): Promise<Fetched> {
    const key = `${src.metadata.namespace}/${src.metadata.name}`;
    const { metrics } = this.opts;
    if (!isRemoteRepo(src.spec.repoURL) && !this.opts.allowLocalRepos) {
      metrics.sourceFetches.inc({ result: 'refused' });
      throw new FetchError(
        `repoURL "${src.spec.repoURL}" is a local path, which this operator does not read (start it with ` +
          `--allow-local-repos for development), or use an http(s) URL`,
        false,
      );
    }
    let snap;
    try {
      snap = await this.fetcher.fetch(key, {
        repoURL: src.spec.repoURL,
        revision: src.spec.revision,
        credentials: await this.credentials(src),
        pushed,
      });
      metrics.sourceFetches.inc({ result: 'ok' });
    } catch (err) {
      metrics.sourceFetches.inc({ result: 'error' });
      throw err;
    }
    const targetNamespace = src.spec.targetNamespace ?? src.metadata.namespace;
    const options = {
      source: { namespace: src.metadata.namespace, name: src.metadata.name },
      path: src.spec.path,
      include: src.spec.include,
      exclude: src.spec.exclude,
      targetNamespace,
      tenant: src.spec.tenant,
      allowedKinds: src.spec.allowedKinds,
    };
    // The same commit rendered with the same options renders the same: a resync reads no file.
    const renderKey = JSON.stringify([snap.commit.oid, options]);
    const hit = this.rendered.get(key);
    if (hit?.key === renderKey) return hit.fetched;
    const rendered = await renderSource(new GitTree(snap), options);
    if (this.opts.namespace && targetNamespace !== this.opts.namespace) {
      rendered.problems.push(
        ...rendered.objects.map((o) => ({
          group: o.group,
          kind: o.kind,
          namespace: o.namespace,
          name: o.name,
          file: o.file,
          line: o.line,
          status: 'Refused' as const,
          message: `namespace "${targetNamespace}" is outside the operator's namespace "${this.opts.namespace}"`,
        })),
      );
      rendered.objects = [];
    }
    await checkEmbeddedConfigs(rendered, this.opts.validateConfig);
    const fetched = { commit: snap.commit, rendered };
    this.rendered.set(key, { key: renderKey, fetched });
    return fetched;
  }

  private async work(): Promise<void> {
    const { metrics, logger } = this.opts;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = Date.now();
      try {
        const result = await reconcileSource(key, this.deps);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        metrics.sourceReconciles.inc({ result: 'success' });
      } catch (err) {
        metrics.sourceReconciles.inc({ result: 'error' });
        const e = err as Error;
        const level = isConflict(err) ? 'debug' : isTemporary(err) ? 'info' : 'error';
        logger[level]({ source: key, err: e.message }, 'source reconcile failed; retrying with backoff');
        if (this.running) this.queue.addRateLimited(key);
      } finally {
        metrics.sourceReconcileDuration.observe((Date.now() - started) / 1000);
        this.queue.done(key);
      }
    }
  }
}
