// A loopback TCP load balancer (like k3s's service load balancer): each connection goes to the next
// ready backend, round-robin; a backend that refuses the connection is skipped for the next one.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server?: Server;
  private backends: number[] = [];
  private next = 0;
  private readonly sockets = new Set<Socket>();
  port = 0;

  /** Ports of the ready backends on 127.0.0.1. */
  setBackends(ports: number[]): void {
    this.backends = [...ports];
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((client) => this.accept(client));
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        this.port = (server.address() as { port: number }).port;
        resolve(this.port);
      });
    });
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    this.dial(client, this.backends.length);
  }

  private dial(client: Socket, attemptsLeft: number): void {
    if (attemptsLeft <= 0 || this.backends.length === 0) {
      client.destroy();
      return;
    }
    const port = this.backends[this.next++ % this.backends.length]!;
    const upstream = connect(port, '127.0.0.1');
    let connected = false;
    this.sockets.add(upstream);
    upstream.once('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => {
      if (connected) client.destroy();
      else this.dial(client, attemptsLeft - 1);
    });
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
