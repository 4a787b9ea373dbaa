// http.server: the listener. `address` (":8080", "127.0.0.1:0") or `port`; read/write/idle
// timeouts (Go durations). Graceful drain: stop accepting, let in-flight requests finish within
// the deadline, then close what is left.
import { serverTimeouts } from '../../security/index.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  ConfigValueError,
  durationOr,
  HttpRouterCap,
  type AppContext,
  type ConfigMap,
  type HttpHandlerFn,
  type HttpRouter,
  type HttpServer,
  type Logger,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { writeError } from './http-io.ts';

type AttachedRouter = HttpRouter & { dispatch: HttpHandlerFn };

export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/** ":8080" -> all interfaces; "127.0.0.1:0"; "[::1]:80"; "8080". */
export function parseListenAddress(config: ConfigMap): ListenAddress {
  const address = config.address;
  if (address !== undefined && address !== null && address !== '') {
    const s = String(address).trim();
    const m = /^(?:\[([^\]]+)\]|([^:]*))?:(\d+)$/.exec(s) ?? /^()()(\d+)$/.exec(s);
    if (!m)
      throw new ConfigValueError(`address "${s}" is not host:port`, {
        path: ['address'],
        hint: 'e.g. ":8080" (all interfaces) or "127.0.0.1:8080"',
      });
    const port = Number(m[3]);
    if (port > 65535)
      throw new ConfigValueError(`port ${port} is out of range`, { path: ['address'], hint: 'ports are 0..65535' });
    const host = m[1] ?? m[2];
    return { host: host === '' || host === undefined ? undefined : host, port };
  }
  if (config.port !== undefined) {
    const port = Number(config.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ConfigValueError(`port must be 1..65535 (got ${JSON.stringify(config.port)})`, { path: ['port'] });
    return { host: undefined, port };
  }
  throw new ConfigValueError('http.server needs an address or a port', { hint: 'add config: { address: ":8080" }' });
}

export const httpServerSchema: TypeSchema = {
  description: 'HTTP listener; requests go to the attached http.router',
  configFields: [
    { key: 'address', type: 'string', description: 'listen address, e.g. ":8080" or "127.0.0.1:8080"' },
    { key: 'port', type: 'number', description: 'listen port (alternative to address)' },
    { key: 'readTimeout', type: 'duration', default: '30s', description: 'max time to read a whole request' },
    { key: 'writeTimeout', type: 'duration', default: '30s', description: 'max time to answer a request' },
    { key: 'idleTimeout', type: 'duration', default: '120s', description: 'keep-alive idle timeout' },
  ],
  validate(config) {
    try {
      parseListenAddress(config);
      for (const key of ['readTimeout', 'writeTimeout', 'idleTimeout']) durationOr(config[key], 0);
      return [];
    } catch (err) {
      const e = err as ConfigValueError;
      return [{ message: e.message, path: e.path, hint: e.hint }];
    }
  },
};

export class HttpServerModule implements Module, HttpServer {
  readonly type = 'http.server';
  private router?: AttachedRouter;
  private server?: Server;
  private bound?: { host: string; port: number; bindAddress: string };
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private logger?: Logger;
  private readonly listen: ListenAddress;
  private readonly timeouts: { read: number; write: number; idle: number };

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.listen = parseListenAddress(config);
    this.timeouts = {
      read: durationOr(config.readTimeout, 30_000),
      write: durationOr(config.writeTimeout, 30_000),
      idle: durationOr(config.idleTimeout, 120_000),
    };
  }

  attachRouter(router: AttachedRouter): void {
    this.router ??= router;
  }

  hasRouter(): boolean {
    return this.router !== undefined;
  }

  address(): { host: string; port: number; bindAddress: string } | undefined {
    return this.bound;
  }

  async start(app: AppContext): Promise<void> {
    this.logger = app.logger.child({ component: 'http.server', module: this.name });
    if (!this.router) {
      // a config with one router and no explicit wiring: use it (upstream fails to start instead)
      const routers = app.services.findAll(HttpRouterCap);
      if (routers.length === 1) this.router = routers[0]!.service as AttachedRouter;
      else {
        throw new Error(
          routers.length === 0
            ? `http.server "${this.name}" has no router; add an http.router module that dependsOn it`
            : `http.server "${this.name}" has no router attached and ${routers.length} routers exist; make ` +
                `one router dependOn this server or name it in workflows.http.router`,
        );
      }
    }
    const dispatch = this.router.dispatch;
    const server = createServer(
      // readTimeout bounds receiving a request (Go's ReadTimeout), checked every second, not every 30
      serverTimeouts({ requestTimeoutMs: this.timeouts.read || undefined, keepAliveTimeoutMs: this.timeouts.idle }),
      (req: IncomingMessage, res: ServerResponse) => {
        this.inFlight++;
        res.once('close', this.requestDone);
        try {
          const r = dispatch(req, res, {});
          if (r && typeof (r as Promise<void>).catch === 'function')
            (r as Promise<void>).catch(() => writeError(res, 500, 'internal server error'));
        } catch {
          writeError(res, 500, 'internal server error');
        }
      },
    );
    server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
      if (socket.writable && err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
        socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      else if (socket.writable && err.code !== 'ECONNRESET')
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error & { code?: string }) => {
        const where = `${this.listen.host ?? ''}:${this.listen.port}`;
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `http.server "${this.name}" cannot listen on ${where}: address already in use; choose another ` +
                  `port (--port, WORKFLOW_ADDR or config.address)`
              : `http.server "${this.name}" cannot listen on ${where}: ${err.message}`,
          ),
        );
      };
      server.once('error', onError);
      server.listen({ port: this.listen.port, host: this.listen.host }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.logger?.error({ err: err.message }, 'server error'));
    this.server = server;
    const a = server.address() as AddressInfo;
    const wildcard = a.address === '::' || a.address === '0.0.0.0';
    this.bound = { host: wildcard ? '127.0.0.1' : a.address, port: a.port, bindAddress: a.address };
    this.logger.info(
      { url: `http://${this.bound.host.includes(':') ? `[${this.bound.host}]` : this.bound.host}:${a.port}` },
      'listening',
    );
  }

  private readonly requestDone = () => {
    this.inFlight--;
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  /** Stop accepting; wait for in-flight requests (bounded by the deadline). */
  async drain(_app: AppContext, deadlineMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.close();
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      this.logger?.info({ inFlight: this.inFlight }, 'draining in-flight requests');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        timer.unref();
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.close();
    server.closeAllConnections();
    this.bound = undefined;
  }
}

export const createHttpServer: ModuleFactory = (spec) => new HttpServerModule(spec.name, spec.config);
