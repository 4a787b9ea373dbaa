// The WorkflowApp controller: informers feed keys into the work queue, N workers run reconcile.
// Handlers only enqueue (no work in callbacks); owned objects map to their app through the
// controller ownerReference, ConfigMaps also to the apps that reference them by configMapRef.
import type {
  KubernetesListObject,
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1Service,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import * as api from '../api/constants.ts';
import { appKey, type AppKey, type WorkflowApp } from '../api/types.ts';
import type { ConfigValidator } from '../config/validator.ts';
import type { KubeClient } from '../kube/client.ts';
import { isConflict, isTemporary } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/events.ts';
import { ResilientInformer } from '../kube/informer.ts';
import type { OperatorMetrics } from '../metrics.ts';
import type { PluginResolver } from '../plugins/resolver.ts';
import { type Clock, DefaultControllerRateLimiter, systemClock, WorkQueue } from '../../common/index.ts';
import type { LiveObjects } from '../rollout/plan.ts';
import type { ConditionUpdate } from './conditions.ts';
import { reconcile, type AppCache, type ApplyClient, type ReconcileDeps } from './reconcile.ts';
import { WriteMemory } from './up-to-date.ts';

export interface SharedInformers {
  apps: ResilientInformer<WorkflowApp & KubernetesObject>;
  deployments: ResilientInformer<V1Deployment>;
  services: ResilientInformer<V1Service>;
  configMaps: ResilientInformer<V1ConfigMap>;
}

export interface ControllerOptions {
  client: KubeClient;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  workers?: number;
  /** Re-reconcile every app this often even without events (default 10 min, ±10 % jitter). */
  resyncMs?: number;
  validateConfig: ConfigValidator;
  plugins: PluginResolver;
  builtinPlugins?: ReadonlySet<string>;
  pluginRegistryUrl?: string;
  events: EventRecorder;
  defaultImage: string;
  metrics: OperatorMetrics;
  logger: Logger;
  clock?: Clock;
  /** LicenseValid for each app (tenancy on). */
  licenseCondition?: (app: WorkflowApp) => ConditionUpdate;
}

export class WorkflowAppController {
  readonly queue: WorkQueue<AppKey>;
  readonly memory: WriteMemory;
  private readonly apps: ResilientInformer<WorkflowApp & KubernetesObject>;
  private readonly deployments: ResilientInformer<V1Deployment>;
  private readonly services: ResilientInformer<V1Service>;
  private readonly configMaps: ResilientInformer<V1ConfigMap>;
  private readonly clock: Clock;
  private readonly deps: ReconcileDeps;
  private workers: Promise<void>[] = [];
  private resyncTimer: unknown;
  private running = false;

  constructor(private readonly opts: ControllerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.queue = new WorkQueue<AppKey>(
      this.clock,
      new DefaultControllerRateLimiter(this.clock),
      opts.metrics.queueMetrics(),
    );
    this.memory = new WriteMemory(() => this.clock.now());
    const { client, namespace } = opts;
    const kc = client.kc;
    const ns = namespace ? `/namespaces/${namespace}` : '';
    const common = { logger: opts.logger, clock: this.clock };

    this.apps = new ResilientInformer(kc, {
      ...common,
      name: api.plural,
      path: `/apis/${api.group}/${api.version}${ns}/${api.plural}`,
      list: () =>
        (namespace
          ? client.custom.listNamespacedCustomObject({
              group: api.group,
              version: api.version,
              namespace,
              plural: api.plural,
            })
          : client.custom.listClusterCustomObject({
              group: api.group,
              version: api.version,
              plural: api.plural,
            })) as Promise<KubernetesListObject<WorkflowApp & KubernetesObject>>,
    });
    this.deployments = new ResilientInformer(kc, {
      ...common,
      name: 'deployments',
      path: `/apis/apps/v1${ns}/deployments`,
      list: () =>
        namespace
          ? client.apps.listNamespacedDeployment({ namespace })
          : client.apps.listDeploymentForAllNamespaces({}),
    });
    this.services = new ResilientInformer(kc, {
      ...common,
      name: 'services',
      path: `/api/v1${ns}/services`,
      list: () =>
        namespace ? client.core.listNamespacedService({ namespace }) : client.core.listServiceForAllNamespaces({}),
    });
    // All ConfigMaps, Deployments and Services, not only ours: spec.configMapRef points at the user's
    // own ConfigMaps, and before taking a name the operator checks that nobody else has it (from the
    // cache: a read per object would cost the API server a third more requests per new app).
    this.configMaps = new ResilientInformer(kc, {
      ...common,
      name: 'configmaps',
      path: `/api/v1${ns}/configmaps`,
      list: () =>
        namespace ? client.core.listNamespacedConfigMap({ namespace }) : client.core.listConfigMapForAllNamespaces({}),
    });

    this.apps.on((app, event) => {
      const key = appKey(app.metadata.namespace, app.metadata.name);
      if (event === 'delete') return this.forgetApp(app);
      this.queue.add(key);
    });
    const toOwner = (obj: KubernetesObject) => {
      const owner = obj.metadata?.ownerReferences?.find(
        (r) => r.controller && r.kind === api.kind && r.apiVersion.startsWith(`${api.group}/`),
      );
      if (owner && obj.metadata?.namespace) this.queue.add(appKey(obj.metadata.namespace, owner.name));
    };
    this.deployments.on(toOwner);
    this.services.on(toOwner);
    this.configMaps.on((cm) => {
      toOwner(cm);
      const ns = cm.metadata?.namespace;
      for (const app of this.apps.list(ns)) {
        if (app.spec?.configMapRef?.name === cm.metadata?.name)
          this.queue.add(appKey(app.metadata.namespace, app.metadata.name));
      }
    });

    const cache: AppCache = {
      app: (namespace, name) => this.apps.get(name, namespace),
      owned: (app) => this.owned(app),
      configMap: (namespace, name) => this.configMaps.get(name, namespace),
      existing: (kind, namespace, name) =>
        (kind === 'Deployment' ? this.deployments : kind === 'Service' ? this.services : this.configMaps).get(
          name,
          namespace,
        ),
    };
    const applyClient: ApplyClient = {
      apply: (obj) => client.apply(obj),
      scaleDeployment: (namespace, name, replicas) => client.scaleDeployment(namespace, name, replicas),
      delete: (obj) =>
        client.delete({ apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? '', metadata: obj.metadata ?? {} }),
      patchAppStatus: async (app, patch) => {
        await client.patchCustomStatus(
          {
            group: api.group,
            version: api.version,
            plural: api.plural,
            namespace: app.metadata.namespace,
            name: app.metadata.name,
          },
          patch,
        );
      },
    };
    this.deps = {
      cache,
      client: applyClient,
      validateConfig: opts.validateConfig,
      plugins: opts.plugins,
      ...(opts.builtinPlugins ? { builtinPlugins: opts.builtinPlugins } : {}),
      ...(opts.pluginRegistryUrl ? { pluginRegistryUrl: opts.pluginRegistryUrl } : {}),
      events: opts.events,
      now: () => this.clock.now(),
      defaultImage: opts.defaultImage,
      memory: this.memory,
      licenseCondition: opts.licenseCondition,
      logger: opts.logger,
    };
  }

  /** Starts the informers (waiting for their first list), then the workers and the resync timer. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await Promise.all([this.apps.start(), this.deployments.start(), this.services.start(), this.configMaps.start()]);
    if (!this.running) return;
    for (const app of this.apps.list()) this.queue.add(appKey(app.metadata.namespace, app.metadata.name));
    const n = Math.max(1, this.opts.workers ?? 4);
    this.workers = Array.from({ length: n }, () => this.work());
    this.scheduleResync();
    this.opts.logger.info(
      { namespace: this.opts.namespace ?? '(all)', workers: n, apps: this.apps.list().length },
      'controller started',
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.resyncTimer !== undefined) this.clock.clearTimeout(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all([this.apps.stop(), this.deployments.stop(), this.services.stop(), this.configMaps.stop()]);
    await Promise.all(this.workers);
  }

  /** Nothing queued, in flight or waiting out a delay. */
  idle(): boolean {
    return this.queue.pending() === 0;
  }

  /** The informers other controllers of this process share (one watch per kind). */
  sharedInformers(): SharedInformers {
    return { apps: this.apps, deployments: this.deployments, services: this.services, configMaps: this.configMaps };
  }

  /** Reconciles every app in these namespaces again (a tenant's license verdict changed). */
  requeueNamespaces(namespaces: readonly string[]): void {
    if (!this.running) return;
    for (const ns of namespaces)
      for (const app of this.apps.list(ns)) this.queue.add(appKey(app.metadata.namespace, app.metadata.name));
  }

  appsInCache(): WorkflowApp[] {
    return [...this.apps.list()];
  }

  /** Per informer: watch restarts after errors and relists (410 Gone). */
  informerStats(): Record<string, { restarts: number; relists: number }> {
    const stats = (i: { restarts: number; relists: number }) => ({ restarts: i.restarts, relists: i.relists });
    return {
      workflowapps: stats(this.apps),
      deployments: stats(this.deployments),
      services: stats(this.services),
      configmaps: stats(this.configMaps),
    };
  }

  private owned(app: WorkflowApp): LiveObjects {
    const uid = app.metadata.uid ?? '';
    const byName = <T extends KubernetesObject>(objs: T[]) => new Map(objs.map((o) => [o.metadata?.name ?? '', o]));
    return {
      deployments: byName(this.deployments.ownedBy(uid)),
      services: byName(this.services.ownedBy(uid)),
      configMaps: byName(this.configMaps.ownedBy(uid)),
    };
  }

  private forgetApp(app: WorkflowApp): void {
    const live = this.owned(app);
    this.memory.forgetAll(
      [...live.deployments.values(), ...live.services.values(), ...live.configMaps.values()],
      [`status:${app.metadata.namespace}/${app.metadata.name}`],
    );
  }

  private scheduleResync(): void {
    const base = this.opts.resyncMs ?? 10 * 60_000;
    const jittered = base * (0.9 + Math.random() * 0.2);
    this.resyncTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      for (const app of this.apps.list()) this.queue.add(appKey(app.metadata.namespace, app.metadata.name));
      this.scheduleResync();
    }, jittered);
  }

  private async work(): Promise<void> {
    const { metrics, logger } = this.opts;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = this.clock.now();
      try {
        const result = await reconcile(key, this.deps);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ result: result.requeueAfterMs !== undefined ? 'requeue' : 'success' });
      } catch (err) {
        metrics.reconcileTotal.inc({ result: 'error' });
        metrics.reconcileErrors.inc();
        const e = err as Error;
        const level = isConflict(err) ? 'debug' : isTemporary(err) ? 'info' : 'error';
        logger[level](
          { app: key, err: e.message, retries: this.queue.retries(key) },
          'reconcile failed; retrying with backoff',
        );
        if (this.running) this.queue.addRateLimited(key);
      } finally {
        metrics.reconcileDuration.observe((this.clock.now() - started) / 1000);
        metrics.apps.set(this.apps.list().length);
        this.queue.done(key);
      }
    }
  }
}
