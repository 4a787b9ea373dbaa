// The operator process: metrics and health endpoints, the git push webhook, leader election, and
// the WorkflowApp and WorkflowSource controllers, which run only while this replica holds the Lease
// (so two replicas never both act).
import { serverTimeouts } from '../security/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import * as api from './api/constants.ts';
import * as sourceApi from './api/source-constants.ts';
import { yamlConfigValidator, memoizeValidator, type ConfigValidator } from './config/validator.ts';
import { WorkflowAppController } from './controller/controller.ts';
import { WorkflowSourceController } from './gitops/controller.ts';
import { refreshThroughApi } from './gitops/refresh.ts';
import { handleGitHook, hookPath } from './gitops/webhook.ts';
import { KubeClient, loadKubeConfig, type ObjectRef } from './kube/client.ts';
import { KubeEventRecorder } from './kube/events.ts';
import { LeaderElector, type LeaseTimings } from './kube/lease.ts';
import { OperatorMetrics } from './metrics.ts';
import { CachingPluginResolver, noRegistryResolver, type PluginResolver } from './plugins/resolver.ts';
import { noRegistryTiers, type PluginTierSource, RegistryPluginTiers } from './plugins/tiers.ts';
import { caBundleOf, WebhookCertManager, type CertBundle } from './admission/certs.ts';
import { startAdmissionServer, type AdmissionServer } from './admission/server.ts';
import { renderWebhookConfigurations, type WebhookEndpoint } from './admission/webhook-config.ts';
import { appLicenseCondition } from './tenant/app-license.ts';
import { TenantController } from './tenant/controller.ts';
import type { LicenseBookOptions } from './tenant/license-book.ts';
import { TenantView } from './tenant/view.ts';

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
  /** Plugins compiled into the engine (their names): requires.plugins naming one needs no registry. */
  builtinPlugins?: string[];
  /** Registry the engine pods fetch their locked plugins from (their WORKFLOW_REGISTRY_URL). */
  pluginRegistryUrl?: string;
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
  /**
   * WorkflowTenants, licenses and the admission webhooks (on by default when watching all
   * namespaces; false turns them off).
   */
  tenancy?: false | TenancyOptions;
}

export interface TenancyOptions {
  /** How tenants' licenses are checked: public key (offline), license server, TTL, grace, refresh. */
  license?: Omit<LicenseBookOptions, 'onChange' | 'logger'>;
  /** Where plugin tiers come from; default: the registry at registryUrl, else none. */
  tiers?: PluginTierSource;
  registryUrl?: string;
  registryToken?: string;
  /** Serve and register the admission webhooks (off when unset). */
  webhook?: WebhookOptions;
}

export interface WebhookOptions {
  /** Listen port (0: a free one) and host; default 9443 on all addresses. */
  port?: number;
  host?: string;
  /**
   * How the API server reaches the webhooks: a Service (default workflow-operator-webhook in the
   * operator's namespace, port 443), a URL, or 'local' (https://127.0.0.1:<port>, an operator run
   * outside the cluster, as on devcluster).
   */
  endpoint?: WebhookEndpoint | 'local';
  /**
   * Where the TLS Secret lives and which namespace is never sent to the webhooks; default $POD_NAMESPACE or
   * default.
   */
  namespace?: string;
  failurePolicy?: 'Fail' | 'Ignore';
  /** How often the certificate and the webhook configurations are checked (default 10 min). */
  checkIntervalMs?: number;
  /** Rotate the serving certificate when less than this is left (default 30 days). */
  rotateBeforeMs?: number;
  validDays?: number;
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
  /** Tenants, licenses and plugin tiers as this replica sees them (tenancy on). */
  readonly tenants?: TenantView;
  /** The tenant controller while leading. */
  tenantController(): TenantController | undefined;
  /** The admission webhooks' server (webhook on). */
  readonly admission?: AdmissionServer;
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
  const identity = (opts.leaderElection || undefined)?.identity || `${hostname()}_${randomUUID().slice(0, 8)}`;
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

  const tenancy = opts.tenancy === false || opts.namespace ? undefined : (opts.tenancy ?? {});
  let tiers: RegistryPluginTiers | undefined;
  let view: TenantView | undefined;
  if (tenancy) {
    if (!tenancy.tiers && tenancy.registryUrl)
      tiers = RegistryPluginTiers.forUrl(tenancy.registryUrl, { token: tenancy.registryToken, logger });
    view = new TenantView({
      client,
      tiers: tenancy.tiers ?? tiers ?? noRegistryTiers,
      licenses: tenancy.license ?? {},
      logger,
    });
    void tiers?.start();
    view.start().catch((err: Error) => logger.error({ err: err.message }, 'tenant caches failed to start'));
  }
  const licenseCondition = view
    ? (app: Parameters<typeof appLicenseCondition>[0]) =>
        appLicenseCondition(app, {
          tenantOfNamespace: (ns) => view.tenantOfNamespace(ns),
          license: (t) => view.license(t),
          pluginTier: (p) => view.tiers.tier(p),
        })
    : undefined;

  let controller: WorkflowAppController | undefined;
  let sources: WorkflowSourceController | undefined;
  let tenantController: TenantController | undefined;
  view?.onLicenseChange((tenant) => {
    const t = view.tenant(tenant);
    if (t) controller?.requeueNamespaces(view.ownedNamespaces(t));
  });
  let starting: Promise<void> = Promise.resolve();
  const lead = () => {
    metrics.leader.set(1);
    tenantController = view ? new TenantController({ client, view, events, logger }) : undefined;
    const tc = tenantController;
    controller = new WorkflowAppController({
      client,
      namespace: opts.namespace,
      workers: opts.workers,
      resyncMs: opts.resyncMs,
      validateConfig,
      plugins,
      builtinPlugins: new Set(opts.builtinPlugins ?? []),
      ...(opts.pluginRegistryUrl ? { pluginRegistryUrl: opts.pluginRegistryUrl } : {}),
      events,
      defaultImage: opts.defaultImage,
      metrics,
      logger,
      licenseCondition,
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
      tc?.start().catch((err: Error) => logger.error({ err: err.message }, 'tenant controller failed to start')),
    ]).then(() => undefined);
  };
  const follow = (): Promise<void> => {
    metrics.leader.set(0);
    const c = controller;
    const s = sources;
    const tc = tenantController;
    controller = undefined;
    sources = undefined;
    tenantController = undefined;
    // Stop at once, even while start() still waits for an unreachable API server.
    starting = Promise.all([starting, s?.stop(), c?.stop(), tc?.stop()]).then(() => undefined);
    return starting;
  };

  let admission: AdmissionServer | undefined;
  let stopWebhook = () => {};
  if (view && tenancy?.webhook) {
    const started = await startWebhooks(client, view, tenancy.webhook, metrics, logger, validateConfig);
    admission = started.server;
    stopWebhook = started.stop;
  }

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
    server = createServer(serverTimeouts(), (req, res) => {
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
    tenants: view,
    tenantController: () => tenantController,
    admission,
    async stop() {
      if (elector) await elector.stop();
      else await follow();
      stopWebhook();
      await admission?.stop();
      tiers?.stop();
      await view?.stop();
      await Promise.all([events.flush(), gitopsEvents.flush()]);
      client.close();
      if (ownCacheDir) rmSync(ownCacheDir, { recursive: true, force: true });
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    },
  };
}

/**
 * The admission webhooks: certificates from the TLS Secret (made or rotated as needed), the HTTPS
 * server, and both webhook configurations applied with the caBundle; then a periodic check that
 * rotates the certificate before it expires and re-applies the configurations after a rotation or
 * when someone changed them.
 */
async function startWebhooks(
  client: KubeClient,
  view: TenantView,
  o: WebhookOptions,
  metrics: OperatorMetrics,
  logger: Logger,
  validateConfig: ConfigValidator,
): Promise<{ server: AdmissionServer; stop: () => void }> {
  const namespace = o.namespace ?? process.env.POD_NAMESPACE ?? 'default';
  const service = { namespace, name: 'workflow-operator-webhook' };
  const endpointOpt = o.endpoint ?? { service };
  const hosts =
    endpointOpt !== 'local' && 'service' in endpointOpt
      ? [
          `${endpointOpt.service.name}.${endpointOpt.service.namespace}.svc`,
          `${endpointOpt.service.name}.${endpointOpt.service.namespace}.svc.cluster.local`,
          `${endpointOpt.service.name}.${endpointOpt.service.namespace}`,
          endpointOpt.service.name,
          'localhost',
          '127.0.0.1',
        ]
      : ['localhost', '127.0.0.1', ...(endpointOpt === 'local' ? [] : [new URL(endpointOpt.url).hostname])];
  const certs = new WebhookCertManager({
    client,
    namespace,
    hosts: [...new Set(hosts)],
    rotateBeforeMs: o.rotateBeforeMs,
    validDays: o.validDays,
    logger,
  });
  let bundle: CertBundle = await certs.ensure();
  const server = await startAdmissionServer({
    view,
    validateConfig,
    certPem: bundle.certPem,
    keyPem: bundle.keyPem,
    port: o.port,
    host: o.host,
    metrics,
    logger,
  });
  const endpoint: WebhookEndpoint = endpointOpt === 'local' ? { url: `https://127.0.0.1:${server.port}` } : endpointOpt;
  const configs = () =>
    renderWebhookConfigurations({
      endpoint,
      caPem: caBundleOf(bundle),
      excludedNamespaces: ['kube-system', namespace],
      failurePolicy: o.failurePolicy,
    });
  const applyConfigs = async () => {
    for (const c of configs()) await client.apply(c);
  };
  try {
    await applyConfigs();
  } catch (err) {
    await server.stop();
    throw err;
  }
  let checking = false;
  const timer = setInterval(
    () => {
      if (checking) return;
      checking = true;
      void (async () => {
        const next = await certs.ensure();
        const rotated = next.certPem !== bundle.certPem;
        if (rotated) {
          bundle = next;
          server.setCertificate(bundle.certPem, bundle.keyPem);
        }
        const live = await client.read<
          KubernetesObject & { webhooks?: Array<{ clientConfig?: { caBundle?: string } }> }
        >(configs()[0] as ObjectRef);
        const wanted = Buffer.from(caBundleOf(bundle)).toString('base64');
        if (rotated || live?.webhooks?.[0]?.clientConfig?.caBundle !== wanted) await applyConfigs();
      })()
        .catch((err: Error) => logger.warn({ err: err.message }, 'webhook certificate check failed; retrying later'))
        .finally(() => (checking = false));
    },
    o.checkIntervalMs ?? 10 * 60_000,
  );
  timer.unref();
  return { server, stop: () => clearInterval(timer) };
}
