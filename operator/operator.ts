// The operator process: metrics and health endpoints, the git push webhook, leader election, and
// the WorkflowApp and WorkflowSource controllers, which run only while this replica holds the Lease
// (so two replicas never both act).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import * as api from './api/constants.ts';
import * as sourceApi from './api/source-constants.ts';
import { yamlConfigValidator, memoizeValidator, type ConfigValidator } from './config/validator.ts';
import { WorkflowAppController } from './controller/controller.ts';
import { WorkflowSourceController } from './gitops/controller.ts';
import { refreshThroughApi } from './gitops/refresh.ts';
import { handleGitHook, hookPath } from './gitops/webhook.ts';
import { KubeClient, loadKubeConfig } from './kube/client.ts';
import { KubeEventRecorder } from './kube/events.ts';
import { LeaderElector, type LeaseTimings } from './kube/lease.ts';
import { OperatorMetrics } from './metrics.ts';
import { CachingPluginResolver, noRegistryResolver, type PluginResolver } from './plugins/resolver.ts';

export interface OperatorOptions {
  /** A loaded kubeconfig, or a path to one (default: KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeConfig?: KubeConfig;
  kubeconfigPath?: string;
  /** Watch one namespace (default: all). */
  namespace?: string;
  workers?: number;
  resyncMs?: number;
  /** Engine image for apps that do not name one. */
  defaultImage: string;
  validateConfig?: ConfigValidator;
  plugins?: PluginResolver;
  /** false turns leader election off (a single replica, tests). */
  leaderElection?: false | ({ namespace?: string; name?: string; identity?: string } & Partial<LeaseTimings>);
  /** Port for /metrics, /healthz and /readyz; 0 picks a free one; null serves nothing. */
  metricsPort?: number | null;
  metricsHost?: string;
  logger?: Logger;
  /**
   * The WorkflowSource controller (GitOps), on by default; false turns it off. `POST /hooks/git`
   * on the metrics server triggers it.
   */
  sources?: false | SourceOptions;
}

export interface SourceOptions {
  /** Where per-source git caches live (default: a temp dir removed on stop). */
  cacheDir?: string;
  /** Sources may name a local path as repoURL (development only). */
  allowLocalRepos?: boolean;
  /** Shared secret of push webhooks (GitHub/Gitea HMAC, GitLab token); unsigned pushes are accepted without one. */
  webhookSecret?: string;
  workers?: number;
}

export interface RunningOperator {
  readonly metrics: OperatorMetrics;
  readonly identity: string;
  /** http://host:port of the metrics server, if serving. */
  readonly metricsUrl?: string;
  isLeader(): boolean;
  /** The controller while leading, else undefined. */
  controller(): WorkflowAppController | undefined;
  /** The WorkflowSource controller while leading, else undefined. */
  sourceController(): WorkflowSourceController | undefined;
  stop(): Promise<void>;
}

export const leaseName = `workflow-operator.${api.group}`;

export async function startOperator(opts: OperatorOptions): Promise<RunningOperator> {
  const logger = opts.logger ?? pino({ name: 'workflow-operator', base: { component: 'operator' } });
  const kc = opts.kubeConfig ?? loadKubeConfig(opts.kubeconfigPath);
  const metrics = new OperatorMetrics({ processMetrics: true });
  const client = new KubeClient(kc, {
    fieldManager: api.fieldManager,
    onWrite: (verb, kind) => metrics.apiWrites.inc({ verb, kind }),
  });
  const identity = (opts.leaderElection && opts.leaderElection.identity) || `${hostname()}_${randomUUID().slice(0, 8)}`;
  const events = new KubeEventRecorder(client, api.fieldManager, identity, logger);
  const validateConfig = memoizeValidator(opts.validateConfig ?? yamlConfigValidator);
  const plugins = new CachingPluginResolver(opts.plugins ?? noRegistryResolver);

  const sourceOpts = opts.sources === false ? undefined : (opts.sources ?? {});
  const gitopsClient = new KubeClient(kc, {
    fieldManager: sourceApi.fieldManager,
    onWrite: (verb, kind) => metrics.apiWrites.inc({ verb, kind }),
  });
  const gitopsEvents = new KubeEventRecorder(gitopsClient, sourceApi.fieldManager, identity, logger);
  const ownCacheDir = sourceOpts && !sourceOpts.cacheDir ? mkdtempSync(join(tmpdir(), 'workflow-gitops-')) : undefined;

  let controller: WorkflowAppController | undefined;
  let sources: WorkflowSourceController | undefined;
  let starting: Promise<void> = Promise.resolve();
  const lead = () => {
    metrics.leader.set(1);
    controller = new WorkflowAppController({
      client,
      namespace: opts.namespace,
      workers: opts.workers,
      resyncMs: opts.resyncMs,
      validateConfig,
      plugins,
      events,
      defaultImage: opts.defaultImage,
      metrics,
      logger,
    });
    const c = controller;
    if (sourceOpts) {
      sources = new WorkflowSourceController({
        client: gitopsClient,
        informers: c.sharedInformers(),
        namespace: opts.namespace,
        workers: sourceOpts.workers,
        cacheDir: sourceOpts.cacheDir ?? ownCacheDir!,
        allowLocalRepos: sourceOpts.allowLocalRepos,
        validateConfig,
        events: gitopsEvents,
        metrics,
        logger: logger.child({ controller: 'workflowsource' }),
      });
    }
    const s = sources;
    starting = Promise.all([
      c.start().catch((err: Error) => logger.error({ err: err.message }, 'controller failed to start')),
      // A cluster without the WorkflowSource CRD keeps running apps; the source informer retries.
      s?.start().catch((err: Error) => logger.error({ err: err.message }, 'source controller failed to start')),
    ]).then(() => undefined);
  };
  const follow = (): Promise<void> => {
    metrics.leader.set(0);
    const c = controller;
    const s = sources;
    controller = undefined;
    sources = undefined;
    // Stop at once, even while start() still waits for an unreachable API server.
    starting = Promise.all([starting, s?.stop(), c?.stop()]).then(() => undefined);
    return starting;
  };

  let elector: LeaderElector | undefined;
  if (opts.leaderElection === false) lead();
  else {
    const le = opts.leaderElection ?? {};
    elector = new LeaderElector(client, {
      ...le,
      namespace: le.namespace ?? opts.namespace ?? process.env.POD_NAMESPACE ?? 'default',
      name: le.name ?? leaseName,
      identity,
      logger,
      onStartedLeading: lead,
      onStoppedLeading: follow,
    });
    elector.start();
  }

  let server: Server | undefined;
  let metricsUrl: string | undefined;
  if (opts.metricsPort !== null) {
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        const stats = { ...controller?.informerStats(), ...sources?.informerStats() };
        for (const [name, s] of Object.entries(stats)) {
          metrics.informerRestarts.set({ informer: name }, s.restarts);
          metrics.informerRelists.set({ informer: name }, s.relists);
        }
        void metrics.registry.metrics().then((body) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(body);
        });
      } else if (path === hookPath && sourceOpts) {
        void handleGitHook(req, res, {
          secret: sourceOpts.webhookSecret,
          onPush: (event) => (sources ? sources.onPush(event) : refreshThroughApi(gitopsClient, event, opts.namespace)),
          count: (provider, result) => metrics.webhookRequests.inc({ provider, result }),
        }).catch((err: Error) => {
          logger.warn({ err: err.message }, 'push webhook failed');
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(`${JSON.stringify({ error: err.message })}\n`);
        });
      } else if (path === '/healthz' || path === '/livez') {
        res.end('ok');
      } else if (path === '/readyz') {
        res.end('ok');
      } else {
        res.writeHead(404).end('not found\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(opts.metricsPort ?? 8080, opts.metricsHost ?? '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    metricsUrl = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
    logger.info({ metrics: `${metricsUrl}/metrics` }, 'serving metrics and health');
  }

  return {
    metrics,
    identity,
    metricsUrl,
    isLeader: () => (elector ? elector.isLeader : true),
    controller: () => controller,
    sourceController: () => sources,
    async stop() {
      if (elector) await elector.stop();
      else await follow();
      await Promise.all([events.flush(), gitopsEvents.flush()]);
      client.close();
      if (ownCacheDir) rmSync(ownCacheDir, { recursive: true, force: true });
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    },
  };
}
