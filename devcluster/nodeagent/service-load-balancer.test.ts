// The Service proxies on real sockets: round-robin and retry over pods in 'http' mode, connections
// joined to the next endpoint that accepts in 'tcp' mode.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { type AddressInfo, connect, createServer as createTcpServer, type Server } from 'node:net';
import { test } from 'node:test';
import { type Backend, ServiceLoadBalancer } from './service-load-balancer.ts';

type After = { after(fn: () => unknown): void };

async function listening(server: Server, t: After): Promise<Backend> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

/** A pod answering every request with its name. */
async function pod(name: string, t: After): Promise<Backend> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(name));
  });
  t.after(() => server.closeAllConnections());
  return listening(server, t);
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<Backend> {
  const s = createTcpServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return { host: '127.0.0.1', port };
}

async function balancer(mode: 'http' | 'tcp', backends: Backend[], t: After): Promise<ServiceLoadBalancer> {
  const lb = new ServiceLoadBalancer('default/web', mode);
  lb.setBackends(backends);
  await lb.listen(0);
  t.after(() => lb.close());
  return lb;
}

function get(port: number, method = 'GET', body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: '/', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('http mode: requests go round-robin over the ready pods, past one that refuses', async (t) => {
  const lb = await balancer('http', [await pod('a', t), await closedPort(), await pod('b', t)], t);
  const seen = [];
  for (let i = 0; i < 6; i++) {
    const r = await get(lb.port, 'POST', 'body');
    assert.equal(r.status, 200);
    seen.push(r.text);
  }
  assert.deepEqual(new Set(seen), new Set(['a', 'b']), 'both live pods answer; the refusing one never fails a request');
});

test('http mode: 503 with Retry-After without ready pods, 502 naming the pod when none answers', async (t) => {
  const lb = await balancer('http', [], t);
  const none = await new Promise<{ status: number; retryAfter?: string; text: string }>((resolve, reject) => {
    request({ host: '127.0.0.1', port: lb.port, path: '/', agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], text }));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(none.status, 503);
  assert.equal(none.retryAfter, '1');
  assert.match(none.text, /no ready pods behind service default\/web/);

  const gone = await closedPort();
  lb.setBackends([gone]);
  const refused = await get(lb.port);
  assert.equal(refused.status, 502);
  assert.match(refused.text, new RegExp(`devcluster load balancer: pod at http://127.0.0.1:${gone.port} unreachable`));
});

test('tcp mode: a connection joins the next endpoint that accepts; bytes flow back after a half-close', async (t) => {
  // replies once the client has finished sending: the proxy must pass the half-close on, and keep the
  // answer flowing back after it
  const echo = createTcpServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => socket.end(`echo:${Buffer.concat(chunks).toString()}`));
  });
  const lb = await balancer('tcp', [await closedPort(), await listening(echo, t)], t);
  for (let i = 0; i < 2; i++) {
    const client = connect(lb.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    client.end(`hello ${i}`);
    await once(client, 'close');
    assert.equal(Buffer.concat(chunks).toString(), `echo:hello ${i}`);
  }
});

test('tcp mode: without an endpoint that accepts, the connection is closed', async (t) => {
  const lb = await balancer('tcp', [await closedPort()], t);
  const client = connect(lb.port, '127.0.0.1');
  client.on('error', () => {});
  client.resume();
  await once(client, 'close');
});
