// startLicenseServer: the license server on 127.0.0.1 (or any host), its state in DATA/license.db.
import { serverTimeouts } from '../../security/index.ts';
import { createServer, type Server } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { createLicenseApp, type LicenseServerMetrics } from './app.ts';
import { LicenseStore } from './store.ts';

export interface LicenseServerOptions {
  dataDir: string;
  publicKey: KeyObject;
  adminToken: string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  cacheTtlMs?: number;
  logger?: Logger;
  now?: () => number;
}

export interface LicenseServer {
  /** http://host:port */
  url: string;
  port: number;
  store: LicenseStore;
  metrics: LicenseServerMetrics;
  stop(): Promise<void>;
}

export async function startLicenseServer(opts: LicenseServerOptions): Promise<LicenseServer> {
  if (opts.adminToken.length < 8)
    throw new Error('the admin token must be at least 8 characters (--admin-token or WFCTL_LICENSE_ADMIN_TOKEN)');
  const logger = opts.logger ?? pino({ name: 'license-server', base: { component: 'license-server' } });
  const store = new LicenseStore(opts.dataDir);
  const { app, metrics } = createLicenseApp({
    store,
    publicKey: opts.publicKey,
    adminToken: opts.adminToken,
    logger,
    cacheTtlMs: opts.cacheTtlMs,
    now: opts.now,
  });
  const server: Server = createServer(serverTimeouts({ keepAliveTimeoutMs: 5_000 }), app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
  } catch (err) {
    store.close();
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'EADDRINUSE'
        ? `port ${opts.port} is already in use (pick another --port, or 0 for a free one)`
        : e.message,
    );
  }
  const addr = server.address() as AddressInfo;
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info({ url, data: opts.dataDir }, 'license server listening');
  return {
    url,
    port: addr.port,
    store,
    metrics,
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}
