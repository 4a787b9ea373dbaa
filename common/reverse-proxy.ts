// The one HTTP reverse proxy: the engine's http.simple_proxy and reverseproxy modules and devcluster's
// Service load balancers forward through it.
//
// A request goes to the first target; one that could not reach it (connection refused, or, for a
// method safe to repeat, a reused keep-alive connection the upstream closed before answering) is sent
// to the next, so a load balancer never fails a request on a pod that is shutting down. To send it
// again the body must be kept: bodies up to REPLAY_LIMIT are buffered when there is a next target,
// larger ones (and every body when there is one target) stream once. Responses always stream.
// Hop-by-hop headers are dropped both ways (RFC 9110 7.6.1, with those the Connection header names);
// X-Forwarded-For/-Host/-Proto are added. Upgrades (WebSocket) pass through at the TCP level, through
// forwardConnection: devcluster's ClusterIP proxies forward every connection with it, whatever the protocol.
import {
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Methods a proxy may send twice (RFC 9110 9.2.2: idempotent). */
const REPEATABLE = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** Largest body kept to send again to the next target. */
export const REPLAY_LIMIT = 1024 * 1024;

/** Why a request got no answer from any target. */
export interface ProxyFailure {
  /** 502: no target answered; 504: the target took longer than timeoutMs. */
  status: 502 | 504;
  /** e.g. "http://127.0.0.1:8080 unreachable (ECONNREFUSED)". */
  message: string;
  /** The last target tried refused the connection: nothing reached it. */
  unreachable: boolean;
}

export interface ProxyOptions {
  /** Upstream base URLs in the order to try; a target's path is prepended to the forwarded path. */
  targets: readonly URL[];
  /** The part of the request path the target's path replaces (a route prefix such as "/api"). */
  stripPrefix?: string;
  /** An idle upstream (no bytes for this long) is abandoned with a 504. Default: none. */
  timeoutMs?: number;
  /** Connection pool for the targets (keep-alive); Node's global agent when absent. */
  agent?: Agent | HttpsAgent;
  /** Writes the error answer in the caller's format; the default is text/plain. */
  fail?: (res: ServerResponse, failure: ProxyFailure) => void;
  /** The target is the whole upstream URL: the request's path and query are not added to it. */
  exactTarget?: boolean;
  /** Send these request headers (host set here) instead of the client's with X-Forwarded-*. */
  headers?: OutgoingHttpHeaders;
  /** The request's body, when the caller has already read it from `req`. */
  body?: Buffer;
}

/**
 * Forwards `req` and streams the answer into `res`; resolves when the exchange is over, with the
 * upstream's status (undefined when no target answered).
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  opts: ProxyOptions,
): Promise<number | undefined> {
  const fail = opts.fail ?? failAsText;
  if (opts.targets.length === 0) {
    fail(res, { status: 502, message: 'no upstream to forward to', unreachable: true });
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const exchange: Exchange = { req, res, opts, fail, done: resolve };
    if (opts.body) return attempt(exchange, 0, opts.body);
    if (opts.targets.length === 1) return attempt(exchange, 0, undefined);
    readReplayable(req, REPLAY_LIMIT).then(
      ({ body, head }) => (body ? attempt(exchange, 0, body) : attempt(exchange, 0, undefined, head)),
      () => {
        res.destroy();
        resolve(undefined);
      },
    );
  });
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  opts: ProxyOptions;
  fail: (res: ServerResponse, failure: ProxyFailure) => void;
  done: (status?: number) => void;
}

/**
 * Sends the request to target `i`. With `body` (buffered, complete) a failure to reach it moves on to
 * the next target; without, the request body streams (after `head`, what was read of it already).
 */
function attempt(ex: Exchange, i: number, body: Buffer | undefined, head: Buffer[] = []): void {
  const { req, res, opts } = ex;
  const target = opts.targets[i]!;
  const headers = opts.headers ? { ...opts.headers, host: target.host } : forwardedHeaders(req, target);
  if (body) {
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  let answered = false;
  const upstream = send(
    {
      protocol: target.protocol,
      hostname: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || undefined,
      method: req.method,
      path: opts.exactTarget ? target.pathname + target.search : upstreamPath(req.url ?? '/', opts.stripPrefix, target),
      headers,
      ...(opts.agent ? { agent: opts.agent } : {}),
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    },
    (up) => {
      answered = true;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, withoutHopByHop(up.headers));
      up.pipe(res);
      up.on('error', () => res.destroy());
      up.on('close', () => ex.done(up.statusCode));
    },
  );
  upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (answered || res.headersSent || res.destroyed) {
      res.destroy();
      return ex.done();
    }
    const neverArrived = err.code === 'ECONNREFUSED';
    const closedBeforeAnswer = err.code === 'ECONNRESET' || err.message === 'socket hang up';
    const next = i + 1 < opts.targets.length;
    if (body && next && (neverArrived || (closedBeforeAnswer && REPEATABLE.has(req.method ?? 'GET'))))
      return attempt(ex, i + 1, body);
    const timedOut = err.code === 'ETIMEDOUT';
    ex.fail(res, {
      status: timedOut ? 504 : 502,
      message: `${target.origin} ${timedOut ? 'timed out' : `unreachable (${err.code ?? err.message})`}`,
      unreachable: neverArrived,
    });
    ex.done();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  if (body) return void upstream.end(body);
  for (const chunk of head) upstream.write(chunk);
  req.pipe(upstream);
}

/** The request's body when it ends within `limit` bytes; else what was read, with the request paused. */
function readReplayable(req: IncomingMessage, limit: number): Promise<{ body?: Buffer; head: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const head: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      head.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      req.pause();
      cleanup();
      resolve({ head });
    };
    const onEnd = () => {
      cleanup();
      resolve({ body: Buffer.concat(head, size), head });
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', reject);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

/** The target's path, then what follows `stripPrefix` in the request's path (and its query). */
export function upstreamPath(url: string, stripPrefix: string | undefined, target: URL): string {
  const rest = stripPrefix && stripPrefix !== '/' && url.startsWith(stripPrefix) ? url.slice(stripPrefix.length) : url;
  const base = target.pathname.replace(/\/+$/, '');
  if (rest === '' || rest.startsWith('?')) return (base || '/') + rest;
  return base + (rest.startsWith('/') ? rest : `/${rest}`);
}

function forwardedHeaders(req: IncomingMessage, target: URL): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = withoutHopByHop(req.headers);
  const prior = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? 'unknown';
  headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  // set, not kept: what a client claims about the host and scheme it used is not to be trusted
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  headers.host = target.host;
  return headers;
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined && !HOP_BY_HOP.has(k) && !named.includes(k)) out[k] = v;
  return out;
}

function failAsText(res: ServerResponse, failure: ProxyFailure): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(failure.status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${failure.message}\n`);
}

/**
 * Passes an upgrade request (WebSocket) through to `target` at the TCP level: the request line and
 * headers as received, then bytes both ways until either side closes. `tracked` holds both sockets
 * while open (a server closing destroys them).
 */
export function forwardUpgrade(
  req: IncomingMessage,
  client: Socket,
  head: Buffer,
  target: URL,
  tracked?: Set<Socket>,
): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  const preamble = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), head]);
  forwardConnection(client, [target], { preamble, ...(tracked ? { tracked } : {}) });
}

/**
 * Joins `client` to the first of `targets` that accepts a connection (a refused one moves on to the
 * next; https: targets over TLS), writes `preamble` to it, then copies bytes both ways whatever the
 * protocol. A half-close passes on (a plain upstream is half-open capable, and so should `client` be: a
 * server's `allowHalfOpen`); a side that closes ends the other once what it was sent is written.
 * `tracked` holds both sockets while open. When no target accepts, the client is destroyed.
 */
export function forwardConnection(
  client: Socket,
  targets: readonly URL[],
  opts: { preamble?: Buffer; tracked?: Set<Socket> } = {},
  i = 0,
): void {
  const target = targets[i];
  if (target === undefined || client.destroyed) return void client.destroy();
  const { preamble, tracked } = opts;
  if (i === 0) {
    tracked?.add(client);
    client.on('error', () => client.destroy());
    client.once('close', () => tracked?.delete(client));
  }
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const upstream: Socket =
    target.protocol === 'https:'
      ? tlsConnect({ host, port, servername: host })
      : connect({ port, host, allowHalfOpen: true });
  const failed = (err: NodeJS.ErrnoException) => {
    upstream.destroy();
    if (err.code === 'ECONNREFUSED') forwardConnection(client, targets, opts, i + 1);
    else client.destroy();
  };
  upstream.once('error', failed);
  upstream.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    upstream.off('error', failed);
    if (client.destroyed) return void upstream.destroy();
    tracked?.add(upstream);
    if (preamble?.length) upstream.write(preamble);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.once('close', () => {
      tracked?.delete(upstream);
      client.destroySoon();
    });
    client.once('close', () => upstream.destroySoon());
  });
}
