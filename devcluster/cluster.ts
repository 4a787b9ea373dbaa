// startDevCluster: the I/O shell that assembles devcluster from its parts — data dir (credentials,
// SQLite state, kubeconfig, lock), the HTTPS API server, the in-process controllers and, optionally,
// the local node agent — and takes it all down again on stop().
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { pino, destination, type Logger } from 'pino';
import type { UserInfo } from './admission/admission.ts';
import { admissionChain } from './admission/chain.ts';
import { AuthPlane } from './auth/auth-plane.ts';
import { readTokenFile } from './auth/authenticator.ts';
import { defaultStorageClassAdmission } from './admission/default-storage-class.ts';
import { WebhookAdmission } from './admission/webhooks.ts';
import { createApiHandler } from './api/handler.ts';
import { createApiMetrics } from './api/metrics.ts';
import { createUpgradeHandler } from './api/pod-streams.ts';
import { ObjectApi, systemContext } from './api/object-api.ts';
import { DEFAULT_WATCH_TIMING, type WatchTiming } from './api/watch-stream.ts';
import { CrdController } from './controllers/crd-controller.ts';
import { EventRecorder } from './controllers/event-recorder.ts';
import { EventTtl } from './controllers/event-ttl.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { NamespaceController } from './controllers/namespace-controller.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { NODE_NAME, NodeAgent, type NodeAgentOptions } from './nodeagent/node-agent.ts';
import { loadOrCreateCredentials } from './pki/pki-files.ts';
import { builtinTypes } from './resources/builtin/index.ts';
import { ResourceCatalog } from './resources/catalog.ts';
import type { KubeObject } from './resources/object-meta.ts';
import { SqliteStore } from './storage/sqlite-store.ts';
import { WatchCache } from './storage/watch-cache.ts';
import { resourceQuotaAdmission } from './quota/resource-quota-admission.ts';
import { ResourceQuotaController } from './quota/resource-quota-controller.ts';
import { HostFilesystem } from './volumes/host-filesystem.ts';
import { defaultStorageClass } from './volumes/local-path-provisioner.ts';
import { PersistentVolumeController } from './volumes/persistent-volume-controller.ts';
import {
  ensurePrivateDir,
  ensurePrivateFile,
  serverTimeouts,
  tightenFiles,
  tlsFront,
  writePrivateFile,
} from '../security/index.ts';

export interface DevClusterOptions {
  /** Where state lives: state.db (SQLite), pki/, token, kubeconfig. Created when missing. */
  dataDir: string;
  /** Listen port on 127.0.0.1. Default: the port of the previous run in this data dir, else a free one. */
  port?: number;
  /**
   * The local node agent runs Deployments whose image is the engine as local processes (default: on,
   * with the default image mapping). false: an API server only — pods stay Pending.
   */
  nodeAgent?: NodeAgentOptions | false;
  /**
   * Start the node agent only when startNodeAgent() is called (wfctl up: the engine pods of a
   * previous run restart once the control plane is up, instead of competing with it for the CPU).
   */
  deferNodeAgent?: boolean;
  /** pino logger; default: warnings and errors to stderr (DEVCLUSTER_LOG_LEVEL overrides the level). */
  logger?: Logger;
  /** Watch stream timing (tests shorten the bookmark interval and stream lifetime). */
  watchTiming?: Partial<WatchTiming>;
  /** How many changes the watch cache keeps for resuming watches (default 20,000). */
  watchHistory?: number;
  /**
   * Static users, as kube-apiserver's --token-auth-file: one `token,user,uid,"group1,group2"` per
   * line. They are authorized by RBAC like any other user.
   */
  tokenAuthFile?: string;
}

export interface DevCluster {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** DIR/kubeconfig: usable as-is by `kubectl --kubeconfig` and KubeConfig.loadFromFile. */
  kubeconfigPath: string;
  /** The kubeconfig's contents. */
  kubeconfig: string;
  /** Bearer token of the cluster admin. */
  token: string;
  /** PEM of the cluster CA (verifies the API server's certificate). */
  caCert: string;
  /** Starts a node agent held back by deferNodeAgent (once; a no-op otherwise). */
  startNodeAgent(): Promise<void>;
  stop(): Promise<void>;
}

const SEED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const ADMIN: UserInfo = {
  username: 'devcluster-admin',
  uid: 'devcluster-admin',
  groups: ['system:masters', 'system:authenticated'],
};

export async function startDevCluster(options: DevClusterOptions): Promise<DevCluster> {
  const dataDir = resolve(options.dataDir);
  // 0700, and every file in it 0600 (tightened for a dir made before): Secrets live in state.db
  ensurePrivateDir(dataDir);
  tightenFiles(dataDir, ['pki']);
  const logger = (options.logger ?? pino({ level: process.env.DEVCLUSTER_LOG_LEVEL ?? 'warn' }, destination(2))).child({
    component: 'devcluster',
  });
  const releaseLock = acquireLock(dataDir);
  try {
    return await start(dataDir, options, logger, releaseLock);
  } catch (e) {
    releaseLock();
    throw e;
  }
}

async function start(
  dataDir: string,
  options: DevClusterOptions,
  logger: Logger,
  releaseLock: () => void,
): Promise<DevCluster> {
  const credentials = loadOrCreateCredentials(dataDir);
  const staticUsers = options.tokenAuthFile ? readTokenFile(options.tokenAuthFile) : undefined;
  // SQLite gives state.db-wal and -shm the mode of state.db, so it is made 0600 before it opens
  ensurePrivateFile(join(dataDir, 'state.db'));
  const store = new SqliteStore(join(dataDir, 'state.db'));
  const catalog = new ResourceCatalog(builtinTypes());
  const cache = new WatchCache(store.currentRv(), options.watchHistory);
  const auth = new AuthPlane({
    dataDir,
    adminToken: credentials.token,
    admin: ADMIN,
    caCertPem: credentials.ca.certPem,
    staticUsers,
    api: () => api,
    catalog,
    cache,
    logger,
  });
  const admission = new WebhookAdmission(
    () => api,
    catalog,
    cache,
    logger.child({ component: 'devcluster-admission' }),
  );
  const api: ObjectApi = new ObjectApi(
    store,
    cache,
    catalog,
    admissionChain(
      defaultStorageClassAdmission(() => api, catalog),
      auth.admission,
      admission,
      // as kube-apiserver orders it: quota last, once everything else admitted the object
      resourceQuotaAdmission(() => api, catalog),
    ),
  );
  // the node's filesystem: hostPath volumes and provisioned PersistentVolumes live here
  const host = new HostFilesystem(join(dataDir, 'host'));

  const stored = [...store.scan()];
  const crds = new CrdController(api, catalog, cache, logger);
  crds.load(
    stored
      .filter((s) => s.storageKey === 'apiextensions.k8s.io/customresourcedefinitions')
      .map((s) => s.object as unknown as KubeObject),
  );
  const gc = new GarbageCollector(api, catalog, cache, logger);
  gc.load(stored);
  const namespaces = new NamespaceController(api, catalog, cache, logger, credentials.ca.certPem);
  const eventTtl = new EventTtl(api, catalog, logger);
  namespaces.load();
  await seedNamespaces(api, catalog);
  await seedStorageClass(api, catalog);
  const volumes = new PersistentVolumeController(
    api,
    catalog,
    cache,
    logger.child({ component: 'devcluster-volumes' }),
    new EventRecorder(api, catalog, 'persistentvolume-controller', logger),
    host,
    NODE_NAME,
  );
  volumes.start();
  const quotas = new ResourceQuotaController(api, catalog, cache, logger);
  quotas.start();
  await auth.start();

  let port = 0;
  const agent =
    options.nodeAgent === false
      ? undefined
      : new NodeAgent(api, catalog, cache, logger.child({ component: 'devcluster-node-agent' }), {
          ...options.nodeAgent,
          dataDir: join(dataDir, 'pods'),
          dnsDir: join(dataDir, 'dns'),
          host,
          apiServer: () => ({ host: '127.0.0.1', port }),
        });
  const handler = createApiHandler({
    api,
    catalog,
    access: (req, path, parsed, query) => auth.access.check(req, path, parsed, query),
    tokenRequest: (namespace, name, body) => auth.tokenRequest(namespace, name, body),
    logger,
    serverAddress: () => `127.0.0.1:${port}`,
    watchTiming: { ...DEFAULT_WATCH_TIMING, ...options.watchTiming },
    metrics: createApiMetrics(),
    podLogs: agent && ((pod, container, previous) => agent.logFile(pod, container, previous)),
  });
  const timeouts = serverTimeouts();
  const https = createServer(
    { key: credentials.serving.keyPem, cert: credentials.serving.certPem, ...timeouts },
    handler,
  );
  // the TCP listener: TLS goes on to `https`, plain HTTP gets a 400 saying it reached a TLS port
  const server = tlsFront(https, timeouts.headersTimeout);
  https.on(
    'upgrade',
    createUpgradeHandler({
      api,
      catalog,
      access: (req, path, parsed, query) => auth.access.check(req, path, parsed, query),
      runtime: agent?.runtime(),
      logger: logger.child({ component: 'devcluster-streams' }),
    }),
  );
  // every socket from accept on, so stop() can end even those still in their TLS handshake
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  try {
    port = await listen(server, options.port ?? previousPort(dataDir), options.port !== undefined);
  } catch (e) {
    await agent?.stop();
    eventTtl.stop();
    await Promise.all([crds.stop(), gc.stop(), namespaces.stop(), volumes.stop(), quotas.stop(), auth.stop()]);
    admission.close();
    store.close();
    throw e;
  }
  await seedKubernetesService(api, catalog, port);
  const url = `https://127.0.0.1:${port}`;
  writePrivateFile(join(dataDir, 'server.json'), JSON.stringify({ port, url, pid: process.pid }) + '\n');
  const kubeconfig = renderKubeconfig({ server: url, caCertPem: credentials.ca.certPem, token: credentials.token });
  const kubeconfigPath = join(dataDir, 'kubeconfig');
  writePrivateFile(kubeconfigPath, kubeconfig);

  let agentStarted: Promise<void> | undefined;
  const startNodeAgent = () => (agentStarted ??= agent ? agent.start() : Promise.resolve());
  if (!options.deferNodeAgent) await startNodeAgent();
  logger.info({ url, kubeconfigPath }, 'devcluster is serving');

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    kubeconfigPath,
    kubeconfig,
    token: credentials.token,
    caCert: credentials.ca.certPem,
    startNodeAgent,
    stop() {
      stopping ??= (async () => {
        if (agentStarted) await agentStarted.then(() => agent?.stop());
        await new Promise<void>((done) => {
          server.close(() => done());
          https.close();
          for (const socket of sockets) socket.destroy();
        });
        eventTtl.stop();
        await Promise.all([crds.stop(), gc.stop(), namespaces.stop(), volumes.stop(), quotas.stop(), auth.stop()]);
        admission.close();
        store.close();
        releaseLock();
      })();
      return stopping;
    },
  };
}

async function seedNamespaces(api: ObjectApi, catalog: ResourceCatalog): Promise<void> {
  const type = catalog.lookup('', 'v1', 'namespaces')!;
  for (const name of SEED_NAMESPACES) {
    if (!api.tryGet(type, '', name)) await api.create(type, '', { metadata: { name } }, systemContext('devcluster'));
  }
}

/** The `local-path` StorageClass, marked default, as k3s ships one (recreated when missing, like k3s's). */
async function seedStorageClass(api: ObjectApi, catalog: ResourceCatalog): Promise<void> {
  const type = catalog.lookup('storage.k8s.io', 'v1', 'storageclasses')!;
  const sc = defaultStorageClass();
  const name = (sc.metadata as { name: string }).name;
  if (!api.tryGet(type, '', name)) await api.create(type, '', sc, systemContext('devcluster'));
}

/**
 * default/kubernetes: the API server's own Service and its Endpoints (this port). Its ClusterIP,
 * 127.N.M.1 picked at random when the cluster is made, places the cluster's service range: its /16,
 * from which every later Service's ClusterIP comes, from M.2 on (cluster-ip.ts); the node agent serves
 * them on this host. A data dir from before ClusterIPs were loopback addresses has it at
 * 10.43.0.1: a ClusterIP cannot change, so it is made again.
 */
async function seedKubernetesService(api: ObjectApi, catalog: ResourceCatalog, port: number): Promise<void> {
  const ctx = systemContext('devcluster');
  const services = catalog.lookup('', 'v1', 'services')!;
  const existing = api.tryGet(services, 'default', 'kubernetes');
  if (existing && !/^127\.\d+\.\d+\.1$/.test(String((existing.spec as { clusterIP?: string }).clusterIP)))
    await api.delete(services, 'default', 'kubernetes', { gracePeriodSeconds: 0 }, ctx);
  if (!api.tryGet(services, 'default', 'kubernetes')) {
    const range = `127.${1 + randomInt(254)}.${randomInt(256)}`;
    await api.create(
      services,
      'default',
      {
        metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: `${range}.1`,
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
        },
      },
      ctx,
    );
  }
  const endpoints = catalog.lookup('', 'v1', 'endpoints')!;
  const subsets = [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
  const current = api.tryGet(endpoints, 'default', 'kubernetes');
  if (!current)
    await api.create(
      endpoints,
      'default',
      { metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets },
      ctx,
    );
  else if (JSON.stringify(current.subsets) !== JSON.stringify(subsets))
    await api.update(endpoints, 'default', 'kubernetes', { ...current, subsets }, ctx);
}

function previousPort(dataDir: string): number {
  try {
    const saved = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { port?: unknown };
    return typeof saved.port === 'number' ? saved.port : 0;
  } catch {
    return 0;
  }
}

/** Listens on `port`; a remembered (not requested) port that is taken falls back to a free one. */
function listen(server: NetServer, port: number, required: boolean): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' && !required && port !== 0) {
        server.listen(0, '127.0.0.1');
        return;
      }
      server.off('listening', onListening);
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} on 127.0.0.1 is already in use; pick another with --port or leave it out for a free one`,
            )
          : err,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolvePort((server.address() as AddressInfo).port);
    };
    server.on('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

const lockedInThisProcess = new Set<string>();

/** One devcluster per data dir: a lock file naming the owning process. */
function acquireLock(dataDir: string): () => void {
  const lock = join(dataDir, 'devcluster.lock');
  if (lockedInThisProcess.has(dataDir)) {
    throw new Error(`the data dir ${dataDir} is already served by a devcluster in this process; stop() it first`);
  }
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `the data dir ${dataDir} is in use by devcluster process ${pid}; stop that process or choose another ` +
          `--data dir`,
      );
    }
  }
  writePrivateFile(lock, `${process.pid}\n`);
  lockedInThisProcess.add(dataDir);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    lockedInThisProcess.delete(dataDir);
    rmSync(lock, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
