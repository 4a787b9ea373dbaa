// The registry server: sync job + persisted index + HTTP API, started programmatically (tests, the
// all-in-one platform) or by `wfctl registry serve`.
import { ensurePrivateDir, serverTimeouts } from '../security/index.ts';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import pino, { type Logger } from 'pino';
import { TokenBuckets } from '../common/index.ts';
import { openSource } from './git-source.ts';
import { BlobStore } from './blob-store.ts';
import { createRegistryHandler } from './http-api.ts';
import { IndexStore } from './index-store.ts';
import { RegistryMetrics } from './metrics.ts';
import { PullRequestChecker, gitTreeReader } from './pr-checker.ts';
import { RegistrySync, type SyncResult } from './sync.ts';

export interface RegistryServerOptions {
  /** Registry repository: a local path (working clone or bare) or an http(s) URL. */
  repo: string;
  branch?: string;
  /** Where the index store and the clone of a remote repository live. Required for persistence. */
  dataDir?: string;
  port?: number;
  host?: string;
  /** node-cron schedule for background syncs (default every minute); null disables the schedule. */
  schedule?: string | null;
  webhookSecret?: string;
  /** Requests per second per client; 0 or undefined disables rate limiting. */
  rateLimit?: number;
  /** Token for reading a remote repository. */
  token?: string;
  publicUrl?: string;
  /** Pull-request checks: a token (GitHub App installation token or PAT), the API base URL, the webhook secret. */
  github?: { token: string; apiUrl?: string; webhookSecret: string; checkName?: string };
  /** Bearer token `wfctl publish` uploads archives with; without one the blob store is read-only. */
  publishToken?: string;
  logger?: Logger;
}

export interface RegistryServer {
  url: string;
  port: number;
  sync: RegistrySync;
  /** The first sync's result (the server is already serving a restored index, if there was one). */
  initialSync: Promise<SyncResult>;
  close(): Promise<void>;
}

export async function startRegistryServer(opts: RegistryServerOptions): Promise<RegistryServer> {
  const logger = (opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' })).child({ component: 'registry' });
  // Without a data dir nothing is persisted; a remote repository is then cloned under the temp dir.
  const cacheDir = opts.dataDir ?? join(tmpdir(), `wfctl-registry-${process.pid}`);
  // 0700: the index store, and the clone of a remote repository (whose config once held a token)
  if (opts.dataDir) ensurePrivateDir(opts.dataDir);
  const store = opts.dataDir ? new IndexStore(join(opts.dataDir, 'index.db')) : undefined;
  const metrics = new RegistryMetrics();
  const source = openSource(opts.repo, { branch: opts.branch, cacheDir, token: opts.token });
  const sync = new RegistrySync({
    source,
    store,
    logger,
    onSwap: (s) => metrics.observeSnapshot(s),
    onResult: (r) => metrics.observeSync(r),
  });
  await sync.restore();
  const github = opts.github && {
    webhookSecret: opts.github.webhookSecret,
    checker: new PullRequestChecker({
      octokit: new Octokit({
        auth: opts.github.token,
        ...(opts.github.apiUrl ? { baseUrl: opts.github.apiUrl } : {}),
        log: { debug() {}, info() {}, warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) },
      }),
      base: () => sync.current(),
      baseTree: gitTreeReader(source),
      logger,
      checkName: opts.github.checkName,
    }),
  };
  const handler = createRegistryHandler({
    sync,
    logger,
    metrics,
    webhookSecret: opts.webhookSecret,
    publicUrl: opts.publicUrl,
    blobs: new BlobStore(join(cacheDir, 'blobs')),
    ...(opts.publishToken ? { publishToken: opts.publishToken } : {}),
    ...(github ? { github } : {}),
    ...(opts.rateLimit
      ? {
          rateLimiter: new TokenBuckets({
            perSecond: opts.rateLimit,
            burst: Math.max(1, Math.ceil(opts.rateLimit * 2)),
          }),
        }
      : {}),
  });
  const server: Server = createServer(serverTimeouts({ keepAliveTimeoutMs: 65_000 }), handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`;
  const initialSync = sync.trigger('startup');
  if (opts.schedule !== null) sync.start(opts.schedule ?? '* * * * *');
  logger.info({ url, repo: source.description, branch: source.branch }, 'registry server listening');
  return {
    url,
    port,
    sync,
    initialSync,
    async close() {
      sync.stop();
      await sync.idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store?.close();
      if (!opts.dataDir) rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
