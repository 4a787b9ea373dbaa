// startPlatform: what `wfctl up` runs. One process on 127.0.0.1 holding devcluster (or a client of
// an existing cluster) with the CRDs, the git server with registry.git and apps.git, the registry
// API, the license server with a development license and the default tenant, the operator with its
// admission webhook, the WorkflowSource that deploys apps.git, and the web console; the node agent's
// engine pods are its children. Each part is started through its folder's public surface as a named
// step, side by side where they do not depend on each other; a failure stops what already started
// and names the part that failed. stop() takes everything down in reverse order.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { DevClusterOptions } from '../devcluster/index.ts';
import type { KubeClient } from '../operator/index.ts';
import type { SyncResult } from '../registry-index/index.ts';

type SyncResultProblem = Extract<SyncResult, { outcome: 'refused' }>['errors'][number];
import { dataLayout, loadOrCreateSecrets, lockDataDir, writePrivate } from './data-dir.ts';
import type { PlatformLicense } from './dev-license.ts';
import { appsRepo, defaultTenant, host, operatorHookPath, registryRepo } from './names.ts';
import { planPorts, reservePorts, type PortComponent, type PortPlan } from './ports.ts';
import { appsSeed, registrySeed, seedRepository } from './seed.ts';
import { runSteps, type Step, type StepEvent } from './steps.ts';

export interface PlatformOptions {
  /** Where every component keeps its state (created when missing; reused by the next start). */
  dataDir: string;
  /** Every port is an offset from this (ports.ts); 0: free ephemeral ports. */
  portBase: number;
  /** Use this existing cluster instead of starting devcluster. */
  kubeconfig?: string;
  /** devcluster's node agent (default: on, engine pods as local processes). */
  nodeAgent?: DevClusterOptions['nodeAgent'];
  logger: Logger;
  onProgress?: (event: StepEvent) => void;
  /** performance.now() value elapsed times count from (default: when startPlatform is called). */
  startedAt?: number;
}

/** DATA/platform.json: how to reach everything, written once the platform is up. */
export interface PlatformInfo {
  kubeconfig: string;
  consoleUrl: string;
  consoleToken: string;
  appsRepoUrl: string;
  registryRepoUrl: string;
  gitToken: string;
  registryUrl: string;
  licenseUrl: string;
}

export interface Platform {
  info: PlatformInfo;
  /** DATA/platform.json */
  infoPath: string;
  /** true when this start found the state of an earlier one (repositories, cluster) and kept it. */
  reused: boolean;
  /** Whether the cluster is the embedded devcluster (false with --kubeconfig). */
  embeddedCluster: boolean;
  stop(): Promise<void>;
}

/**
 * Each part's code is loaded by the step that starts it, not up front: the cluster and the git
 * server (whose seeding runs in git processes) start while the operator's and the console's
 * modules (@kubernetes/client-node above all) are still being loaded.
 */
const load = {
  devcluster: () => import('../devcluster/index.ts'),
  registry: () => import('../registry-index/index.ts'),
  operator: () => import('../operator/index.ts'),
  license: () => import('../license/index.ts'),
  console: () => import('../console/index.ts'),
  crds: () => import('./crds.ts'),
  devLicense: () => import('./dev-license.ts'),
};

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const startedAt = opts.startedAt ?? performance.now();
  const dataDir = resolve(opts.dataDir);
  const logger = opts.logger;
  const stops: Array<{ name: string; stop: () => Promise<void> | void }> = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ component: name, err: (err as Error).message }, 'stop failed');
      }
    }
  };

  const embeddedCluster = opts.kubeconfig === undefined;
  const needed: PortComponent[] = ['console', 'registry', 'git', 'license', 'operator'];
  // the admission webhook is served on 127.0.0.1, which only an API server on this machine can call
  if (embeddedCluster) needed.push('cluster', 'webhook');

  let ports: PortPlan = planPorts(opts.portBase);
  let kubeconfigPath = '';
  let kubeConfig: KubeConfig | undefined;
  let reused = false;
  let gitUrl = '';
  let registryUrl = '';
  let consoleUrl = '';
  let licenseUrl = '';
  let licensePublicKey: PlatformLicense['publicKey'] | undefined;
  let kube: KubeClient | undefined;
  const secrets = { current: undefined as ReturnType<typeof loadOrCreateSecrets> | undefined };
  const secret = () => secrets.current!;
  const repoUrl = (name: string) => `${gitUrl}/${name}.git`;

  /** The embedded cluster's node agent, started last (see the node step). */
  let startNodeAgent: (() => Promise<void>) | undefined;

  const steps: Step[] = [
    {
      id: 'data',
      title: `data dir ${dataDir}`,
      component: 'the data dir',
      run: async () => {
        stops.push({ name: 'data dir lock', stop: lockDataDir(dataDir) });
        secrets.current = loadOrCreateSecrets(dataDir);
        reused = existsSync(join(dataDir, dataLayout.git, `${appsRepo}.git`));
        ports = await reservePorts(ports, needed, host);
        return reused ? 'reused' : 'new';
      },
    },
    embeddedCluster
      ? {
          id: 'cluster',
          after: ['data'],
          title: 'devcluster (embedded Kubernetes API server and node)',
          component: 'devcluster',
          run: async () => {
            const { startDevCluster } = await load.devcluster();
            const cluster = await startDevCluster({
              dataDir: join(dataDir, dataLayout.cluster),
              port: ports.cluster,
              logger,
              ...(opts.nodeAgent !== undefined ? { nodeAgent: opts.nodeAgent } : {}),
              deferNodeAgent: true,
            });
            stops.push({ name: 'devcluster', stop: () => cluster.stop() });
            startNodeAgent = () => cluster.startNodeAgent();
            kubeconfigPath = cluster.kubeconfigPath;
            return cluster.url;
          },
        }
      : {
          id: 'cluster',
          after: ['data'],
          title: `cluster of ${opts.kubeconfig}`,
          component: 'the cluster',
          run: async () => {
            kubeconfigPath = resolve(opts.kubeconfig!);
            if (!existsSync(kubeconfigPath)) throw new Error(`kubeconfig ${kubeconfigPath} does not exist`);
            const { loadKubeConfig } = await load.operator();
            kubeConfig = loadKubeConfig(kubeconfigPath);
            return kubeConfig.getCurrentCluster()?.server;
          },
        },
    {
      id: 'crds',
      after: ['cluster'],
      title: 'custom resource definitions',
      component: 'CRD installation',
      run: async () => {
        const [{ KubeClient, loadKubeConfig }, { installCrds, shippedCrds }] = await Promise.all([
          load.operator(),
          load.crds(),
        ]);
        kubeConfig ??= loadKubeConfig(kubeconfigPath);
        kube = new KubeClient(kubeConfig, { fieldManager: 'wfctl-up' });
        const client = kube;
        stops.push({ name: 'cluster client', stop: () => client.close() });
        const results = await installCrds(kubeConfig, shippedCrds());
        const applied = results.filter((r) => r.action === 'applied').length;
        return `${results.map((r) => r.name.split('.')[0]).join(', ')}${applied ? '' : ' (current)'}`;
      },
    },
    {
      id: 'git',
      after: ['data'],
      title: 'git server (registry.git, apps.git)',
      component: 'the git server',
      run: async () => {
        registryUrl = `http://${host}:${ports.registry}`;
        const { startGitServer } = await load.registry();
        const server = await startGitServer({
          dataDir: join(dataDir, dataLayout.git),
          port: ports.git,
          host,
          token: secret().gitToken,
          registryRepo,
          // the registry re-indexes registry.git, the operator syncs the WorkflowSources of apps.git
          notify: [`${registryUrl}/api/v1/sync`, `http://${host}:${ports.operator}${operatorHookPath}`],
          notifySecret: secret().webhookSecret,
          logger,
        });
        stops.push({ name: 'git server', stop: () => server.close() });
        gitUrl = server.url;
        const pushUrl = (name: string) =>
          `http://wfctl:${encodeURIComponent(secret().gitToken)}@${server.url.slice('http://'.length)}/${name}.git`;
        const seeded: string[] = [];
        const seeds: Array<[string, () => ReturnType<typeof appsSeed>, string]> = [
          [registryRepo, registrySeed, 'Built-in plugin manifests'],
          [appsRepo, appsSeed, 'Example apps'],
        ];
        await Promise.all(
          seeds.map(async ([name, files, message]) => {
            if (existsSync(join(dataDir, dataLayout.git, `${name}.git`))) return;
            await seedRepository(pushUrl(name), files(), message);
            seeded.push(name);
          }),
        );
        return seeded.length ? `${server.url}, seeded ${seeded.sort().join(' and ')}` : server.url;
      },
    },
    {
      id: 'registry',
      after: ['git'],
      title: 'registry API (synced from registry.git)',
      component: 'the registry API',
      run: async () => {
        const { formatProblem, startRegistryServer } = await load.registry();
        const server = await startRegistryServer({
          repo: repoUrl(registryRepo),
          dataDir: join(dataDir, dataLayout.registry),
          port: ports.registry,
          host,
          webhookSecret: secret().webhookSecret,
          logger,
        });
        stops.push({ name: 'registry API', stop: () => server.close() });
        registryUrl = server.url;
        // an index restored from the last run is served at once; the sync catches up behind it
        if (server.sync.current()) return `${server.url} (restored index)`;
        const first = await server.initialSync;
        if (!server.sync.current())
          throw new Error(`the first sync of ${repoUrl(registryRepo)} failed: ${describeSync(first, formatProblem)}`);
        return server.url;
      },
    },
    {
      id: 'license',
      after: ['crds'],
      title: 'license server (development license, default tenant)',
      component: 'the license server',
      run: async () => {
        const licenseDir = join(dataDir, dataLayout.license);
        const [{ startLicenseServer }, { defaultTenantObjects, loadOrIssueDevLicense }] = await Promise.all([
          load.license(),
          load.devLicense(),
        ]);
        const license = loadOrIssueDevLicense(licenseDir);
        licensePublicKey = license.publicKey;
        const server = await startLicenseServer({
          dataDir: licenseDir,
          publicKey: license.publicKey,
          adminToken: secret().licenseAdminToken,
          port: ports.license,
          host,
          logger: logger.child({ component: 'license-server' }),
        });
        stops.push({ name: 'license server', stop: () => server.stop() });
        licenseUrl = server.url;
        server.store.putTenant(defaultTenant, { displayName: 'Default tenant' });
        server.store.recordLicense(license.claims, license.token);
        for (const object of defaultTenantObjects(license.token)) {
          const metadata = object.metadata as { name: string };
          const ref = { apiVersion: object.apiVersion as string, kind: object.kind as string, metadata };
          if (object.kind === 'WorkflowTenant' && (await kube!.read(ref))) continue;
          await kube!.apply(object as never);
        }
        const expires = new Date(license.claims.expiresAt * 1000).toISOString().slice(0, 10);
        return `${server.url}, ${license.claims.tier} license for tenant ${defaultTenant} until ${expires}`;
      },
    },
    {
      id: 'operator',
      after: ['crds', 'registry', 'license'],
      title: embeddedCluster ? 'operator (with its admission webhook)' : 'operator',
      component: 'the operator',
      run: async () => {
        const [{ corePlugins }, { engineImage }, { engineConfigValidator, registryPluginResolver, startOperator }] =
          await Promise.all([import('../plugins/index.ts'), import('../engine/index.ts'), load.operator()]);
        const operator = await startOperator({
          kubeConfig: kubeConfig!,
          defaultImage: engineImage,
          validateConfig: engineConfigValidator(corePlugins),
          plugins: registryPluginResolver({ url: registryUrl, platform: enginePlatform() }),
          // One operator per data dir (the lock); on a shared cluster a Lease keeps it to one in all.
          leaderElection: embeddedCluster ? false : {},
          metricsPort: ports.operator,
          metricsHost: host,
          sources: { cacheDir: join(dataDir, dataLayout.gitops), webhookSecret: secret().webhookSecret },
          tenancy: {
            registryUrl,
            license: { publicKey: licensePublicKey, serverUrl: licenseUrl },
            webhook: embeddedCluster
              ? { port: ports.webhook, host, endpoint: 'local', namespace: 'default', failurePolicy: 'Fail' }
              : undefined,
          },
          logger,
        });
        stops.push({ name: 'operator', stop: () => operator.stop() });
        return embeddedCluster
          ? `${operator.metricsUrl}, admission webhook https://${host}:${ports.webhook}`
          : `${operator.metricsUrl} (no admission webhook: the cluster's API server cannot call 127.0.0.1)`;
      },
    },
    {
      id: 'source',
      after: ['crds', 'git'],
      title: 'apps source (WorkflowSource syncing apps.git)',
      component: 'the apps source',
      run: async () => {
        const source = appsSource(repoUrl(appsRepo), await load.operator());
        await kube!.apply(source as never);
        return `${source.metadata.namespace}/${source.metadata.name} <- ${repoUrl(appsRepo)}`;
      },
    },
    {
      id: 'console',
      after: ['crds', 'registry', 'license'],
      title: 'web console',
      component: 'the web console',
      run: async () => {
        const { startConsole } = await load.console();
        const server = await startConsole({
          kubeConfig: kubeConfig!,
          registryUrl,
          licenseUrl,
          token: secret().consoleToken,
          repos: [
            { name: 'apps.git', url: repoUrl(appsRepo) },
            { name: 'registry.git', url: repoUrl(registryRepo) },
          ],
          port: ports.console,
          host,
          logger,
        });
        stops.push({ name: 'web console', stop: () => server.close() });
        consoleUrl = server.url;
        return server.url;
      },
    },
  ];
  // Engine pods (a second start restarts every app's) run once the control plane is up, so they do
  // not compete with it for the CPU while it starts; apps turn Running right after.
  if (embeddedCluster)
    steps.push({
      id: 'node',
      after: ['operator', 'console', 'source'],
      title: 'node agent (engine pods)',
      component: 'the node agent',
      run: async () => {
        await startNodeAgent!();
        return undefined;
      },
    });

  try {
    await runSteps(steps, opts.onProgress, startedAt);
  } catch (err) {
    await stopAll();
    throw err;
  }

  const info: PlatformInfo = {
    kubeconfig: kubeconfigPath,
    consoleUrl,
    consoleToken: secret().consoleToken,
    appsRepoUrl: repoUrl(appsRepo),
    registryRepoUrl: repoUrl(registryRepo),
    gitToken: secret().gitToken,
    registryUrl,
    licenseUrl,
  };
  mkdirSync(dataDir, { recursive: true });
  const infoPath = join(dataDir, dataLayout.platform);
  writePrivate(infoPath, `${JSON.stringify(info, null, 2)}\n`);

  let stopping: Promise<void> | undefined;
  return {
    info,
    infoPath,
    reused,
    embeddedCluster,
    stop: () => (stopping ??= stopAll()),
  };
}

/**
 * The WorkflowSource that deploys apps.git: every app pushed there is applied to the cluster within
 * seconds (the git server notifies the operator's push hook), and an app whose file is deleted is
 * pruned. Apps are stamped with the default tenant.
 */
export function appsSource(
  repoURL: string,
  api: Pick<Awaited<ReturnType<typeof load.operator>>, 'workflowAppApi' | 'workflowSourceApi'>,
) {
  return {
    apiVersion: api.workflowAppApi.apiVersion,
    kind: api.workflowSourceApi.kind,
    metadata: { name: appsRepo, namespace: 'default', labels: { 'app.kubernetes.io/managed-by': 'wfctl-up' } },
    spec: { repoURL, prune: true, tenant: defaultTenant },
  };
}

/** The engine pods' os/arch in registry terms (plugin archives are chosen for it). */
function enginePlatform(): { os: string; arch: string } {
  const arch = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' }[process.arch as string] ?? process.arch;
  return { os: process.platform, arch };
}

function describeSync(result: SyncResult, formatProblem: (p: SyncResultProblem) => string): string {
  if (result.outcome === 'failed') return result.hint ? `${result.error} (${result.hint})` : result.error;
  if (result.outcome === 'refused') return result.errors.map((p) => formatProblem(p)).join('; ');
  return result.outcome;
}
