import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { forwardRequest, forwardUpgrade, type ProxyOptions, REPLAY_LIMIT, upstreamPath } from './reverse-proxy.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler, t: { after(fn: () => unknown): void }): Promise<{ server: Server; url: URL }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) };
}

/** A proxy server forwarding with `opts(req)`; its URL. */
async function proxy(opts: (req: IncomingMessage) => ProxyOptions, t: { after(fn: () => unknown): void }) {
  return (await serve((req, res) => void forwardRequest(req, res, opts(req)), t)).url;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<URL> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return new URL(`http://127.0.0.1:${port}`);
}

/** Echoes what it received: method, path, headers and body. */
const echo: Handler = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-from', 'backend');
    res.setHeader('proxy-authenticate', 'Basic realm="pod"');
    res.end(
      JSON.stringify({ method: req.method, url: req.url, headers: req.headers, size: Buffer.concat(chunks).length }),
    );
  });
};

test('upstreamPath: the target path replaces the stripped prefix; the query is kept', () => {
  const target = new URL('http://b:1/v1');
  assert.equal(upstreamPath('/api/items?q=1', '/api', target), '/v1/items?q=1');
  assert.equal(upstreamPath('/api', '/api', target), '/v1');
  assert.equal(upstreamPath('/api?x', '/api', target), '/v1?x');
  assert.equal(upstreamPath('/other', undefined, target), '/v1/other');
  assert.equal(upstreamPath('/x?y', '/', new URL('http://b:1')), '/x?y');
  assert.equal(upstreamPath('/api', '/api', new URL('http://b:1/')), '/');
  assert.equal(upstreamPath('/api/', '/api', new URL('http://b:1/v1/')), '/v1/');
});

test('a request is forwarded with X-Forwarded-* and without hop-by-hop headers, both ways', async (t) => {
  const backend = await serve(echo, t);
  const url = await proxy(() => ({ targets: [new URL('/v1', backend.url)], stripPrefix: '/api' }), t);
  const r = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${url.href}api/items?q=1`, {
      method: 'POST',
      headers: {
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': 'dropped',
        'proxy-authorization': 'Basic eA==',
        'x-forwarded-for': '10.0.0.9',
        'x-forwarded-host': 'spoofed.example',
        'x-kept': 'yes',
      },
    });
    req.on('response', resolve).on('error', reject);
    req.end('hello');
  });
  const body = JSON.parse(await text(r)) as { method: string; url: string; headers: Record<string, string> };
  assert.equal(body.method, 'POST');
  assert.equal(body.url, '/v1/items?q=1');
  assert.equal(body.headers['x-forwarded-for'], '10.0.0.9, 127.0.0.1', 'the client address is appended');
  assert.equal(body.headers['x-forwarded-host'], url.host, 'the host the client used, not what it claims');
  assert.equal(body.headers['x-forwarded-proto'], 'http');
  assert.equal(body.headers.host, backend.url.host);
  assert.equal(body.headers['x-kept'], 'yes');
  assert.equal(body.headers['x-secret-hop'], undefined, 'a header named by Connection is hop-by-hop');
  assert.equal(body.headers['proxy-authorization'], undefined);
  assert.equal(r.headers['x-from'], 'backend');
  assert.equal(r.headers['proxy-authenticate'], undefined, "the upstream's hop-by-hop headers stay there");
});

test('a request that never reached a target goes to the next one, body included', async (t) => {
  const backend = await serve(echo, t);
  const down = await closedPort();
  const url = await proxy(() => ({ targets: [down, backend.url] }), t);
  const r = await fetch(`${url.href}x`, { method: 'POST', body: 'abc' });
  assert.equal(r.status, 200);
  assert.deepEqual(
    { ...((await r.json()) as object), headers: undefined },
    { method: 'POST', url: '/x', size: 3, headers: undefined },
  );
});

test('a closed connection is retried on the next target for GET, never for POST', async (t) => {
  let hangups = 0;
  const hangup = await serve((req) => {
    hangups++;
    req.socket.destroy();
  }, t);
  const backend = await serve(echo, t);
  const url = await proxy(() => ({ targets: [hangup.url, backend.url] }), t);
  const get = await fetch(`${url.href}safe`);
  assert.equal(get.status, 200, 'GET may be sent twice');
  const post = await fetch(`${url.href}unsafe`, { method: 'POST', body: 'once' });
  assert.equal(post.status, 502, 'the first pod may have acted on the POST: it is not sent again');
  assert.match(await post.text(), /unreachable \((ECONNRESET|socket hang up)\)/);
  assert.equal(hangups, 2);
});

test('a body too large to keep streams once, whole', async (t) => {
  const backend = await serve(echo, t);
  const url = await proxy(() => ({ targets: [backend.url, backend.url] }), t);
  const big = Buffer.alloc(REPLAY_LIMIT * 3 + 17, 7);
  const r = await fetch(`${url.href}upload`, { method: 'PUT', body: big });
  assert.equal(((await r.json()) as { size: number }).size, big.length);
});

test('failures: 502 when unreachable, 504 after the idle timeout, in the format the caller chooses', async (t) => {
  const down = await closedPort();
  const slow = await serve(() => {}, t); // never answers
  const url = await proxy(
    (req) => ({
      targets: [req.url === '/slow' ? slow.url : down],
      timeoutMs: 200,
      fail: (res, f) => res.writeHead(f.status).end(JSON.stringify(f)),
    }),
    t,
  );
  const unreachable = await fetch(`${url.href}down`);
  assert.equal(unreachable.status, 502);
  const failure = (await unreachable.json()) as { message: string; unreachable: boolean };
  assert.equal(failure.unreachable, true);
  assert.equal(failure.message, `${down.origin} unreachable (ECONNREFUSED)`);
  const timedOut = await fetch(`${url.href}slow`);
  assert.equal(timedOut.status, 504);
  assert.match(((await timedOut.json()) as { message: string }).message, /timed out/);
  const none = await proxy(() => ({ targets: [] }), t);
  assert.equal((await fetch(none)).status, 502);
});

test('a client that goes away mid-answer closes the upstream request', async (t) => {
  let upstreamClosed: () => void;
  const closed = new Promise<void>((r) => (upstreamClosed = r));
  const streaming = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first chunk\n');
    req.socket.on('close', () => upstreamClosed());
  }, t);
  const url = await proxy(() => ({ targets: [streaming.url], agent: new Agent({ keepAlive: true }) }), t);
  const client = request(url);
  client.end();
  const [res] = (await once(client, 'response')) as [IncomingMessage];
  await once(res, 'data');
  client.destroy();
  await closed;
});

test('an upgrade passes through at the TCP level', async (t) => {
  const ws = await serve(() => {}, t);
  ws.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Path: ${req.url}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  const tracked = new Set<Socket>();
  const front = await serve(() => {}, t);
  front.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    forwardUpgrade(req, socket, head, ws.url, tracked),
  );
  const socket = connect(Number(front.url.port), '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString()));
  await until(() => received.includes('\r\n\r\n'));
  assert.match(received, /^HTTP\/1\.1 101 .*X-Path: \/chat/s);
  assert.equal(tracked.size, 2, 'both sockets are tracked while open');
  socket.write('ping');
  await until(() => received.endsWith('ping'));
  socket.destroy();
  await until(() => tracked.size === 0);
});

async function text(r: IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of r) s += c;
  return s;
}

async function until(cond: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
