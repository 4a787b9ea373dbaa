// The byte stream of a WebSocket's messages, for a SPDY session tunnelled in one (kubectl port-forward's
// `SPDY/3.1+portforward.k8s.io`): kubectl reads and writes the tunnel as a stream of bytes, so where one
// message ends carries no meaning. In place of ws's createWebSocketStream, whose Duplex sends a message
// only once the one before has been written (one TLS write and syscall per message, however many are
// waiting) and adds a stream's bookkeeping to each message both ways. Writes are messages sent at once;
// cork() corks the TLS socket beneath, so the messages of one turn go out in one write.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

export class WebSocketTransport extends EventEmitter {
  /** `socket` is the one `ws` runs on (as handed to handleUpgrade). */
  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {
    super();
    ws.on('message', (data: Buffer) => this.emit('data', data));
    ws.on('error', (err) => this.emit('error', err));
    ws.on('close', () => this.emit('close'));
    socket.on('drain', () => this.emit('drain'));
  }

  /** Bytes sent but not yet handed to the kernel. */
  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  get writableCorked(): number {
    return this.socket.writableCorked;
  }

  write(data: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data, { binary: true });
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /**
   * Sends `last`, then closes the WebSocket. Like a stream's end(), it uncorks: what was written goes out
   * now, so a destroy() right after (a session failing) does not drop it.
   */
  end(last: Buffer): void {
    this.write(last);
    while (this.socket.writableCorked) this.socket.uncork();
    this.ws.close();
  }

  destroy(): void {
    this.ws.terminate();
  }
}
