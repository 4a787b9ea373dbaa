// A TCP listener in front of an HTTPS server. TLS connections (their first byte is a handshake
// record, 0x16) are handed to the HTTPS server; anything else is plain HTTP sent to the TLS port,
// which a bare TLS server answers with an empty reply. It gets what Go's servers (and so
// kube-apiserver) answer instead: a 400 that says what went wrong.
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as HttpsServer } from 'node:https';

const TLS_HANDSHAKE = 0x16;
const PLAIN_HTTP_ANSWER =
  'HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n' +
  'Client sent an HTTP request to an HTTPS server.\n';

/** Listen with the returned server; `https` must not listen itself. */
export function tlsFront(https: HttpsServer, firstByteTimeoutMs = 20_000): Server {
  const front = createServer((socket: Socket) => {
    // as Go's servers do: without it Nagle holds a small write (a watch event, a port-forward answer)
    // back until the peer acknowledges the one before
    socket.setNoDelay(true);
    socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) https.emit('connection', socket);
      else socket.end(PLAIN_HTTP_ANSWER);
    });
    socket.on('error', () => socket.destroy());
  });
  // Node checks requestTimeout and headersTimeout from a timer that an HTTP server starts when it
  // emits 'listening'; `https` never listens itself, so it hears it from the front.
  front.on('listening', () => https.emit('listening'));
  return front;
}
