// A Service's loopback load balancer (like k3s's service load balancer, but HTTP-aware): each request
// goes to the next ready pod, round-robin, so a client's keep-alive connection is never pinned to a
// pod that is shutting down. A request that could not reach a pod (connection refused, or a reused
// connection the pod closed, for methods safe to repeat) is tried on the next pod. Upgrade requests
// (WebSocket) are passed through at the TCP level.
import { serverTimeouts } from '../../security/index.ts';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

const REPEATABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

export class HttpLoadBalancer {
  private server?: Server;
  private backends: number[] = [];
  private next = 0;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly upgraded = new Set<Socket>();
  port = 0;

  constructor(private readonly serviceName: string) {}

  /** Ports of the ready pods on 127.0.0.1. */
  setBackends(ports: number[]): void {
    this.backends = [...ports];
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer(serverTimeouts(), (req, res) => this.forward(req, res));
      server.on('upgrade', (req, socket, head) => this.tunnel(req, socket as Socket, head));
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        this.port = (server.address() as { port: number }).port;
        resolve(this.port);
      });
    });
  }

  private order(): number[] {
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

  private attempt(req: IncomingMessage, res: ServerResponse, body: Buffer, candidates: number[], i: number): void {
    const port = candidates[i];
    if (port === undefined) return unavailable(res, this.serviceName);
    const headers = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    headers['content-length'] = String(body.length);
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
    let responded = false;
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: this.agent },
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
        .end(`devcluster load balancer: pod on port ${port} failed: ${err.message}\n`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const port = this.order()[0];
    if (port === undefined) return void client.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
    const upstream = connect(port, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
    for (const s of [client, upstream]) {
      this.upgraded.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.once('close', () => {
        this.upgraded.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
  }

  close(): Promise<void> {
    for (const s of this.upgraded) s.destroy();
    this.agent.destroy();
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

function unavailable(res: ServerResponse, service: string): void {
  res
    .writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' })
    .end(`devcluster load balancer: no ready pods behind service ${service}\n`);
}
