// The streaming subresources pods/exec, pods/attach and pods/portforward: HTTP upgrades, answered the
// way kube-apiserver (with its kubelet) answers kubectl 1.32. kubectl first asks for a WebSocket
// (exec/attach: `v5.channel.k8s.io`; port-forward: `SPDY/3.1+portforward.k8s.io`, SPDY tunnelled in
// binary messages) and falls back to a plain SPDY/3.1 upgrade when that is refused; both are served.
// Requests are authenticated and validated before the upgrade, so refusals are ordinary Status errors.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { UserInfo } from '../admission/admission.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { PORT_FORWARD_PROTOCOL, servePortForward } from '../streams/port-forward.ts';
import {
  type CommandChannels,
  commandFailed,
  type CommandOptions,
  pipeCommand,
  type RunningCommand,
  SPDY_CHANNEL_PROTOCOLS,
  SpdyChannels,
  WEBSOCKET_CHANNEL_PROTOCOLS,
  WebSocketChannels,
} from '../streams/remote-command.ts';
import { SpdySession, type SpdyTransport } from '../streams/spdy-session.ts';
import { WebSocketTransport } from '../streams/websocket-transport.ts';
import { ApiError, badRequest, internalError, noSuchPath, type Status } from './errors.ts';
import type { ObjectApi } from './object-api.ts';
import { resolveContainer } from './pod-logs.ts';
import { parseApiPath, parseRequestTarget, type ApiPath } from './request-path.ts';

export const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

const TUNNELED_PORT_FORWARD = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** What the node does for the streaming subresources; absent when devcluster runs without a node agent. */
export interface PodRuntime {
  /** Where pod port `port` is reachable on this host; throws an Error saying why it is not. */
  portTarget(pod: KubeObject, port: number): { host: string; port: number };
  /** Starts `command` in the container's environment; throws an Error when it cannot. */
  exec(pod: KubeObject, container: string, command: string[], options: CommandOptions): RunningCommand;
  /** Connects to the running container's stdio; throws an Error when it cannot. */
  attach(pod: KubeObject, container: string, options: CommandOptions): RunningCommand;
  /** Calls `listener` once the node stops running `pod`; returns an unsubscribe function. */
  onPodStopped(pod: KubeObject, listener: () => void): () => void;
}

export interface PodStreamsOptions {
  api: ObjectApi;
  catalog: ResourceCatalog;
  /** Authentication, impersonation and authorization (create pods/exec|attach|portforward): 401/403. */
  access(req: IncomingMessage, path: string, parsed: ApiPath | undefined, query: URLSearchParams): Promise<UserInfo>;
  runtime?: PodRuntime;
  logger: Logger;
}

interface StreamRequest {
  pod: KubeObject;
  subresource: 'exec' | 'attach' | 'portforward';
  container: string;
  command: string[];
  options: CommandOptions;
}

export function createUpgradeHandler(
  opts: PodStreamsOptions,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 << 20 });
  // ws rejects `SPDY/3.1+portforward.k8s.io` (a "/" is not a token character), so we negotiate the
  // subprotocol ourselves and add it to the handshake response
  const chosen = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, req) => {
    const protocol = chosen.get(req);
    if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  });

  return async (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let request: StreamRequest;
    let transport: 'websocket' | 'spdy';
    let protocol: string;
    try {
      request = await parseRequest(req);
      ({ transport, protocol } = negotiate(req, request.subresource));
    } catch (e) {
      const error = e instanceof ApiError ? e : internalError((e as Error).message);
      if (!(e instanceof ApiError)) opts.logger.error({ err: e, url: req.url }, 'streaming request failed');
      refuse(socket, error.status);
      return;
    }
    if (transport === 'websocket') {
      chosen.set(req, protocol);
      delete req.headers['sec-websocket-protocol'];
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (request.subresource === 'portforward') return startPortForward(new WebSocketTransport(ws, socket), request);
        startCommand(new WebSocketChannels(ws, request.options), request, ws);
      });
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
        `X-Stream-Protocol-Version: ${protocol}\r\n\r\n`,
    );
    if (head.length) socket.unshift(head);
    const session = new SpdySession(socket);
    session.on('error', (err) => opts.logger.debug({ err: err.message, url: req.url }, 'SPDY session failed'));
    if (request.subresource === 'portforward') return startSpdyPortForward(session, request);
    const channels = new SpdyChannels(session, request.options);
    channels.ready.then(
      () => startCommand(channels, request),
      (err: Error) => {
        opts.logger.debug({ err: err.message }, 'streaming client did not open its streams');
        session.close();
      },
    );
  };

  async function parseRequest(req: IncomingMessage): Promise<StreamRequest> {
    const { path, query: q } = parseRequestTarget(req.url);
    const parsed = parseApiPath(path);
    if (
      parsed?.kind !== 'resource' ||
      parsed.group !== '' ||
      parsed.plural !== 'pods' ||
      !parsed.name ||
      parsed.namespace === undefined ||
      !STREAMING_SUBRESOURCES.has(parsed.subresource ?? '')
    )
      throw noSuchPath();
    await opts.access(req, path, parsed, q);
    const type = opts.catalog.lookup('', parsed.version, 'pods');
    if (!type) throw noSuchPath();
    const pod = opts.api.get(type, parsed.namespace, parsed.name);
    const subresource = parsed.subresource as StreamRequest['subresource'];
    const flag = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
    const options: CommandOptions = {
      stdin: flag('stdin'),
      stdout: flag('stdout'),
      stderr: flag('stderr'),
      tty: flag('tty'),
    };
    const command = q.getAll('command');
    if (subresource === 'exec' && command.length === 0)
      throw badRequest('you must specify at least one command for the container');
    if (subresource !== 'portforward' && !options.stdin && !options.stdout && !options.stderr)
      throw badRequest('you must specify at least one of stdin, stdout, stderr');
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed')
      throw badRequest(`cannot ${subresource} into a container in a completed pod; current phase is ${phase}`);
    if (!opts.runtime) throw badRequest(`pod ${pod.metadata.name} does not run: devcluster runs without a node agent`);
    if (!(pod.spec as { nodeName?: string }).nodeName || phase !== 'Running')
      throw badRequest(`pod ${pod.metadata.name} does not have a host assigned or is not running yet`);
    const container = subresource === 'portforward' ? '' : resolveContainer(pod, q.get('container') ?? undefined);
    for (const port of q.getAll('ports').flatMap((p) => p.split(','))) {
      if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
        throw badRequest(`invalid port ${JSON.stringify(port)}: ports must be 1..65535`);
    }
    return { pod, subresource, container, command, options };
  }

  function startPortForward(transport: SpdyTransport, request: StreamRequest): void {
    const session = new SpdySession(transport);
    session.on('error', (err) => opts.logger.debug({ err: err.message }, 'tunnelled SPDY session failed'));
    startSpdyPortForward(session, request);
  }

  function startSpdyPortForward(session: SpdySession, request: StreamRequest): void {
    const { pod } = request;
    const runtime = opts.runtime!;
    // when the pod goes away the session ends, so kubectl says "lost connection to pod" and exits
    const unsubscribe = runtime.onPodStopped(pod, () => session.close());
    session.on('close', unsubscribe);
    servePortForward(session, {
      podKey: `${pod.metadata.namespace}/${pod.metadata.name}`,
      uid: pod.metadata.uid ?? '',
      resolve: (port) => runtime.portTarget(pod, port),
    });
  }

  function startCommand(channels: CommandChannels, request: StreamRequest, ws?: WebSocket): void {
    let command: RunningCommand;
    try {
      command =
        request.subresource === 'exec'
          ? opts.runtime!.exec(request.pod, request.container, request.command, request.options)
          : opts.runtime!.attach(request.pod, request.container, request.options);
    } catch (e) {
      channels.finish(commandFailed((e as Error).message));
      return;
    }
    const unsubscribe = opts.runtime!.onPodStopped(request.pod, () => command.stop());
    void command.exit.finally(unsubscribe);
    ws?.on('close', unsubscribe);
    pipeCommand(channels, command);
  }
}

/** Picks the transport and protocol from the client's offer, or refuses the way kube-apiserver does. */
function negotiate(req: IncomingMessage, subresource: StreamRequest['subresource']) {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const supported = subresource === 'portforward' ? [TUNNELED_PORT_FORWARD] : WEBSOCKET_CHANNEL_PROTOCOLS;
    const protocol = offered.find((p) => supported.includes(p));
    if (!protocol)
      throw new ApiError(
        400,
        'BadRequest',
        `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server ` +
          `accepts [${supported.join(' ')}]`,
      );
    return { transport: 'websocket' as const, protocol };
  }
  if (upgrade === 'spdy/3.1') {
    const offered = ([] as string[])
      .concat(req.headers['x-stream-protocol-version'] ?? [])
      .flatMap((v) => v.split(','));
    const trimmed = offered.map((p) => p.trim()).filter(Boolean);
    const supported = subresource === 'portforward' ? [PORT_FORWARD_PROTOCOL] : SPDY_CHANNEL_PROTOCOLS;
    const protocol =
      trimmed.length === 0 && subresource === 'portforward'
        ? PORT_FORWARD_PROTOCOL
        : trimmed.find((p) => supported.includes(p));
    if (!protocol)
      throw new ApiError(
        403,
        'Forbidden',
        `unable to upgrade: unable to negotiate protocol: client supports [${trimmed.join(' ')}], server ` +
          `accepts [${supported.join(' ')}]`,
      );
    return { transport: 'spdy' as const, protocol };
  }
  throw badRequest('Upgrade request required');
}

/** Answers a refused upgrade with a Status, as an HTTP response on the raw socket. */
function refuse(socket: Duplex, status: Status): void {
  const body = JSON.stringify(status);
  const reason =
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
