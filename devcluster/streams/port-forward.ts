// portforward.k8s.io (v1) on a SPDY session, as the kubelet serves it: for each local connection the
// client opens a pair of streams sharing a requestID — `streamType: error` then `streamType: data`,
// both naming the pod `port`. We dial the pod's port and copy bytes both ways; a failure is written
// as text on the error stream (kubectl prints it and drops the session), success ends it empty.
import { connect, type Socket } from 'node:net';
import type { SpdySession, SpdyStream } from './spdy-session.ts';
import { corkForTurn } from './turn-cork.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/** Where a pod's port is reachable on this host, or an Error saying why it is not. */
export type PortResolver = (port: number) => { host: string; port: number };

export interface PortForwardTarget {
  /** "namespace/name", for messages. */
  podKey: string;
  uid: string;
  resolve: PortResolver;
}

/** How long the second stream of a pair may lag behind the first (the kubelet's default). */
const PAIR_TIMEOUT_MS = 30_000;

/** How much of the client's data may wait in a pod connection's buffer before the session pauses. */
const SOCKET_BUFFER = 1 << 20;

export function servePortForward(session: SpdySession, target: PortForwardTarget): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
  const congested = new Set<Socket>();

  session.on('drain', () => {
    for (const socket of congested) socket.resume();
    congested.clear();
  });

  session.on('stream', (stream) => {
    const requestId = stream.header('requestID') ?? '';
    const type = stream.header('streamType');
    if (type !== 'error' && type !== 'data') {
      stream.reset();
      return;
    }
    let pair = pairs.get(requestId);
    if (!pair) {
      pair = {
        timer: setTimeout(() => {
          pairs.delete(requestId);
          const p = pair!;
          p.error?.end(Buffer.from(`timed out waiting for the data stream of request ${requestId}`));
          p.data?.reset();
          p.error?.reset();
        }, PAIR_TIMEOUT_MS),
      };
      pairs.set(requestId, pair);
    }
    pair[type] = stream;
    if (type === 'error') stream.on('data', () => {}); // the client never writes here; drain it anyway
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      forward(pair.error, pair.data);
    }
  });

  session.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });

  function forward(errorStream: SpdyStream, dataStream: SpdyStream): void {
    const port = Number(dataStream.header('port'));
    const fail = (message: string) => {
      errorStream.end(
        Buffer.from(`error forwarding port ${port} to pod ${target.podKey}, uid ${target.uid}: ${message}`),
      );
      dataStream.end();
    };
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      fail(`invalid port ${JSON.stringify(dataStream.header('port'))}`);
      return;
    }
    let address: { host: string; port: number };
    try {
      address = target.resolve(port);
    } catch (e) {
      fail((e as Error).message);
      return;
    }
    const socket = connect(address.port, address.host);
    socket.setNoDelay(true);
    let connected = false;
    socket.on('connect', () => {
      connected = true;
    });
    socket.on('data', (chunk: Buffer) => {
      if (!dataStream.write(chunk)) {
        socket.pause();
        congested.add(socket);
      }
    });
    socket.on('end', () => dataStream.end());
    socket.on('error', (e) => {
      if (!connected)
        fail(
          `failed to connect to localhost:${port} inside the pod (127.0.0.1:${address.port} on this node): ` +
            `${e.message}`,
        );
      else dataStream.reset();
    });
    socket.on('close', () => {
      congested.delete(socket);
      errorStream.end();
    });
    let paused = false;
    socket.on('drain', () => {
      if (!paused) return;
      paused = false;
      session.resume();
    });
    dataStream.on('data', (chunk: Buffer) => {
      corkForTurn(socket);
      socket.write(chunk);
      // a client writes 32 KiB frames: pausing the session whenever write() says the 16 KiB high-water
      // mark is passed would stop it once per frame; it stops when a megabyte waits for the pod
      if (socket.writableLength > SOCKET_BUFFER && !paused) {
        paused = true;
        session.pause();
      }
    });
    dataStream.on('end', () => socket.end());
    dataStream.on('close', () => {
      if (!socket.destroyed && !socket.writableEnded) socket.destroy();
    });
  }
}
