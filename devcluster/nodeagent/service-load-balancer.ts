// A Service's proxy on this node, in one of two modes, both forwarding through common/'s one reverse
// proxy:
// - 'http' (LoadBalancer Services, like k3s's service load balancer but HTTP-aware): each request goes
//   to the next ready pod, round-robin, so a client's keep-alive connection is never pinned to a pod
//   that is shutting down. A request that could not reach a pod (connection refused, or a reused
//   connection the pod closed, for methods safe to repeat) is tried on the next pod (forwardRequest).
//   Upgrade requests (WebSocket) are passed through at the TCP level (forwardUpgrade).
// - 'tcp' (ClusterIP addresses, as kube-proxy): each connection goes to the next ready endpoint,
//   round-robin, bytes copied both ways whatever the protocol; a refused connection tries the next
//   (forwardConnection).
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { forwardConnection, forwardRequest, forwardUpgrade, type ProxyFailure } from '../../common/index.ts';
import { serverTimeouts } from '../../security/index.ts';

export type ProxyMode = 'http' | 'tcp';

/** Where a ready endpoint listens. */
export interface Backend {
  host: string;
  port: number;
}

export class ServiceLoadBalancer {
  private server?: Server | TcpServer;
  private backends: URL[] = [];
  private next = 0;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly sockets = new Set<Socket>();
  host = '127.0.0.1';
  port = 0;

  constructor(
    private readonly serviceName: string,
    readonly mode: ProxyMode = 'http',
  ) {}

  /** The ready endpoints. */
  setBackends(backends: Backend[]): void {
    this.backends = backends.map((b) => new URL(`http://${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`));
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      let server: Server | TcpServer;
      if (this.mode === 'http') {
        const http = createServer(serverTimeouts(), (req, res) => this.forward(req, res));
        http.on('upgrade', (req, socket, head) => this.tunnel(req, socket as Socket, head));
        server = http;
      } else {
        // half-open: a client that has finished sending still gets the rest of the answer
        server = createTcpServer({ allowHalfOpen: true }, (socket) =>
          forwardConnection(socket, this.order(), { tracked: this.sockets }),
        );
      }
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.server = server;
        this.host = host;
        this.port = (server.address() as { port: number }).port;
        resolve(this.port);
      });
    });
  }

  /** The ready endpoints, starting with the next one in round-robin order. */
  private order(): URL[] {
    const n = this.backends.length;
    const start = this.next++ % Math.max(n, 1);
    return Array.from({ length: n }, (_, i) => this.backends[(start + i) % n]!);
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const targets = this.order();
    if (targets.length === 0) return unavailable(res, this.serviceName);
    void forwardRequest(req, res, { targets, agent: this.agent, fail: badGateway });
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const target = this.order()[0];
    if (target === undefined) return void client.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
    forwardUpgrade(req, client, head, target, this.sockets);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    return new Promise((resolve) => {
      const server = this.server;
      if (!server) return resolve();
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    });
  }
}

function unavailable(res: ServerResponse, service: string): void {
  res
    .writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' })
    .end(`devcluster load balancer: no ready pods behind service ${service}\n`);
}

function badGateway(res: ServerResponse, failure: ProxyFailure): void {
  if (res.headersSent) return void res.destroy();
  res
    .writeHead(failure.status, { 'Content-Type': 'text/plain' })
    .end(`devcluster load balancer: pod at ${failure.message}\n`);
}
