// A Service's proxy on this node, in one of two modes:
// - 'http' (LoadBalancer Services, like k3s's service load balancer but HTTP-aware): each request goes
//   to the next ready pod, round-robin, so a client's keep-alive connection is never pinned to a pod
//   that is shutting down. A request that could not reach a pod (connection refused, or a reused
//   connection the pod closed, for methods safe to repeat) is tried on the next pod. Upgrade requests
//   (WebSocket) are passed through at the TCP level.
// - 'tcp' (ClusterIP addresses, as kube-proxy): each connection goes to the next ready endpoint,
//   round-robin, bytes copied both ways whatever the protocol; a refused connection tries the next.
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { serverTimeouts } from '../../security/index.ts';

const REPEATABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

export type ProxyMode = 'http' | 'tcp';

/** Where a ready endpoint listens. */
export interface Backend {
  host: string;
  port: number;
}

export class ServiceLoadBalancer {
  private server?: Server | TcpServer;
  private backends: Backend[] = [];
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
    this.backends = [...backends];
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      let server: Server | TcpServer;
      if (this.mode === 'http') {
        const http = createServer(serverTimeouts(), (req, res) => this.forward(req, res));
        http.on('upgrade', (req, socket, head) => this.tunnel(req, socket as Socket, head));
        server = http;
      } else {
        server = createTcpServer((socket) => this.connectTo(socket, this.order(), 0));
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

  private order(): Backend[] {
    const n = this.backends.length;
    const start = this.next++ % Math.max(n, 1);
    return Array.from({ length: n }, (_, i) => this.backends[(start + i) % n]!);
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const candidates = this.order();
    if (candidates.length === 0) return unavailable(res, this.serviceName);
    // small bodies are buffered so a request can be sent again to another pod
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.attempt(req, res, Buffer.concat(chunks), candidates, 0));
    req.on('error', () => res.destroy());
  }

  private attempt(req: IncomingMessage, res: ServerResponse, body: Buffer, candidates: Backend[], i: number): void {
    const backend = candidates[i];
    if (backend === undefined) return unavailable(res, this.serviceName);
    const headers = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    headers['content-length'] = String(body.length);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
    let responded = false;
    const upstream = request(
      { host: backend.host, port: backend.port, method: req.method, path: req.url, headers, agent: this.agent },
      (upstreamRes) => {
        responded = true;
        const out = { ...upstreamRes.headers };
        for (const h of HOP_BY_HOP) delete out[h];
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, out);
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (responded) return void res.destroy();
      const neverArrived = err.code === 'ECONNREFUSED';
      const closedBeforeAnswer = err.code === 'ECONNRESET' || err.message === 'socket hang up';
      if (neverArrived || (closedBeforeAnswer && REPEATABLE.has(req.method ?? 'GET')))
        return this.attempt(req, res, body, candidates, i + 1);
      res
        .writeHead(502, { 'Content-Type': 'text/plain' })
        .end(`devcluster load balancer: pod at ${backend.host}:${backend.port} failed: ${err.message}\n`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const backend = this.order()[0];
    if (backend === undefined) return void client.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    const preamble = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), head]);
    this.connectTo(client, [backend], 0, preamble);
  }

  /** 'tcp' mode and upgrades: joins `client` to the first of `candidates` that accepts a connection. */
  private connectTo(client: Socket, candidates: Backend[], i: number, preamble?: Buffer): void {
    const backend = candidates[i];
    if (backend === undefined) return void client.destroy();
    if (i === 0) {
      this.sockets.add(client);
      client.on('error', () => client.destroy());
      client.once('close', () => this.sockets.delete(client));
    }
    const upstream = connect(backend.port, backend.host);
    const failed = (err: NodeJS.ErrnoException) => {
      upstream.destroy();
      if (err.code === 'ECONNREFUSED' && !client.destroyed) this.connectTo(client, candidates, i + 1, preamble);
      else client.destroy();
    };
    upstream.once('error', failed);
    upstream.once('connect', () => {
      upstream.off('error', failed);
      if (client.destroyed) return void upstream.destroy();
      if (preamble) upstream.write(preamble);
      this.sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      // a side that closes ends the other once what it was sent is written
      upstream.once('close', () => {
        this.sockets.delete(upstream);
        client.destroySoon();
      });
      client.once('close', () => upstream.destroySoon());
    });
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
