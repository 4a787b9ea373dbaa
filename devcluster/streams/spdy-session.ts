// The server side of a SPDY/3.1 session over any byte stream: the TLS socket after an HTTP upgrade,
// or the messages of a WebSocket that tunnels SPDY (kubectl port-forward's default since 1.31). The
// client opens streams (SYN_STREAM with headers such as streamType and port); we accept each with a
// SYN_REPLY and then move data both ways. Flow control: kube's spdystream neither sends nor honours
// WINDOW_UPDATE, so back-pressure is the transport's: a full socket pauses the producers.
import { EventEmitter } from 'node:events';
import { constants, createInflate, type Inflate } from 'node:zlib';
import {
  controlStreamId,
  dataFrameHeader,
  decodeNameValues,
  FLAG_FIN,
  FrameParser,
  FrameType,
  goAwayFrame,
  type Frame,
  type Headers,
  pingFrame,
  RstStatus,
  rstStreamFrame,
  SPDY3_DICTIONARY,
  SpdyProtocolError,
  StoredHeaderWriter,
  synReplyFrame,
  synStreamHeaderBlock,
} from './spdy-frames.ts';
import { type Corkable, corkForTurn } from './turn-cork.ts';

/**
 * How much may wait in the transport's buffer before writers are told to stop (and resume on 'drain').
 * A stream's 16 KiB high-water mark would stop them after every 64 KiB read from a pod.
 */
const SEND_BUFFER = 1 << 20;

/** Data frames carry at most 2^24 - 1 bytes. */
const MAX_DATA_FRAME = 0xffffff;

/**
 * Below this a data frame is copied into one buffer with its header rather than written in two: for a
 * few bytes a copy costs less than a second piece to write (a second message, in a WebSocket).
 */
const COPY_BELOW = 16 << 10;

/** What a session runs on: a socket (any Duplex), or a WebSocket's messages (WebSocketTransport). */
export interface SpdyTransport extends Corkable {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'close' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Bytes written but not yet handed to the kernel. */
  readonly writableLength: number;
  write(data: Buffer): unknown;
  pause(): unknown;
  resume(): unknown;
  end(last: Buffer): unknown;
  destroy(): unknown;
}

/** One client-opened stream. 'data' and 'end' (peer finished sending), 'close' (both sides done or reset). */
export class SpdyStream extends EventEmitter {
  private localFin = false;
  private remoteFin = false;
  private closed = false;

  constructor(
    readonly id: number,
    readonly headers: Headers,
    private readonly session: SpdySession,
  ) {
    super();
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** Writes data; false when the transport is congested (wait for the session's 'drain'). */
  write(data: Buffer): boolean {
    if (this.localFin || this.closed) return true;
    return this.session.sendData(this.id, data, false);
  }

  /** Half-closes: we send no more. */
  end(data?: Buffer): void {
    if (this.localFin || this.closed) return;
    this.localFin = true;
    this.session.sendData(this.id, data ?? Buffer.alloc(0), true);
    this.maybeClose();
  }

  reset(status: number = RstStatus.Cancel): void {
    if (this.closed) return;
    this.session.send(rstStreamFrame(this.id, status));
    this.onReset();
  }

  get finished(): boolean {
    return this.remoteFin;
  }

  /** @internal */
  onData(data: Buffer, fin: boolean): void {
    if (this.closed || this.remoteFin) return;
    if (data.length) this.emit('data', data);
    if (fin) {
      this.remoteFin = true;
      this.emit('end');
      this.maybeClose();
    }
  }

  /** @internal */
  onReset(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.remoteFin) {
      this.remoteFin = true;
      this.emit('end');
    }
    this.emit('close');
  }

  private maybeClose(): void {
    if (this.localFin && this.remoteFin && !this.closed) {
      this.closed = true;
      this.emit('close');
    }
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  drain: [];
  close: [];
  error: [Error];
}

/**
 * A server session. Emits 'stream' for each stream the client opens (already answered with
 * SYN_REPLY), 'drain' when the transport can take data again, and 'close' once the transport is gone.
 */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly parser = new FrameParser();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly headerWriter = new StoredHeaderWriter();
  private readonly inflater: Inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly pending: Frame[] = [];
  private decoding = false;
  private lastStreamId = 0;
  private closed = false;

  constructor(private readonly transport: SpdyTransport) {
    super();
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('drain', () => this.emit('drain'));
    transport.on('error', () => this.destroy());
    transport.on('close', () => this.destroy());
    transport.on('end', () => this.destroy());
    this.inflater.on('error', (e) => this.fail(new SpdyProtocolError(`bad header block: ${e.message}`)));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal Writes one control frame; false when the transport's buffer is full. */
  send(frame: Buffer): boolean {
    if (this.closed) return true;
    corkForTurn(this.transport);
    this.transport.write(frame);
    return this.transport.writableLength <= SEND_BUFFER;
  }

  /**
   * @internal Writes `data` as data frames; false when the transport's buffer is full. A large piece is
   * written after its header as it is, never copied; the transport is corked for the turn, so both go
   * out in one write with everything else this turn sends.
   */
  sendData(streamId: number, data: Buffer, fin: boolean): boolean {
    if (this.closed) return true;
    corkForTurn(this.transport);
    for (let offset = 0; ; offset += MAX_DATA_FRAME) {
      const piece = data.subarray(offset, offset + MAX_DATA_FRAME);
      const last = offset + MAX_DATA_FRAME >= data.length;
      const head = dataFrameHeader(streamId, piece.length, fin && last);
      if (piece.length <= COPY_BELOW) this.transport.write(piece.length ? Buffer.concat([head, piece]) : head);
      else {
        this.transport.write(head);
        this.transport.write(piece);
      }
      if (last) return this.transport.writableLength <= SEND_BUFFER;
    }
  }

  /** Pauses reading from the client (a consumer is congested); resume() undoes it. */
  pause(): void {
    this.transport.pause();
  }

  resume(): void {
    if (!this.closed) this.transport.resume();
  }

  /** Says goodbye (GOAWAY) and closes the transport once written. */
  close(): void {
    if (this.closed) return;
    this.transport.end(goAwayFrame(this.lastStreamId));
    setTimeout(() => this.destroy(), 1000).unref();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.streams.values()) stream.onReset();
    this.streams.clear();
    this.inflater.close();
    this.transport.destroy();
    this.emit('close');
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.emit('error', err);
    this.transport.end(goAwayFrame(this.lastStreamId, 1));
    this.destroy();
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.pending.push(...frames);
    this.process();
  }

  /**
   * Frames are handled in order; a frame with a header block waits for the inflater (asynchronous
   * in node:zlib) and everything behind it waits too.
   */
  private process(): void {
    while (!this.decoding && this.pending.length && !this.closed) {
      const frame = this.pending.shift()!;
      try {
        if (frame.kind === 'data') {
          this.streams.get(frame.streamId)?.onData(frame.data, frame.fin);
          continue;
        }
        if (frame.type === FrameType.SynStream || frame.type === FrameType.Headers) {
          const block =
            frame.type === FrameType.SynStream ? synStreamHeaderBlock(frame.payload) : frame.payload.subarray(4);
          this.decoding = true;
          this.inflate(block).then(
            (raw) => {
              this.decoding = false;
              try {
                if (frame.type === FrameType.SynStream) this.openStream(frame, decodeNameValues(raw));
              } catch (e) {
                this.fail(e as Error);
                return;
              }
              this.process();
            },
            (e: Error) => this.fail(e),
          );
          return;
        }
        this.control(frame);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
    }
  }

  private inflate(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const onData = (c: Buffer) => out.push(c);
      this.inflater.on('data', onData);
      this.inflater.once('error', reject);
      this.inflater.write(block);
      this.inflater.flush(constants.Z_SYNC_FLUSH, () => {
        this.inflater.off('data', onData);
        this.inflater.off('error', reject);
        resolve(Buffer.concat(out));
      });
    });
  }

  private openStream(frame: Extract<Frame, { kind: 'control' }>, headers: Headers): void {
    const id = controlStreamId(frame.payload);
    if (id % 2 === 0 || id <= this.lastStreamId) {
      this.send(rstStreamFrame(id, RstStatus.ProtocolError));
      return;
    }
    this.lastStreamId = id;
    const stream = new SpdyStream(id, headers, this);
    this.streams.set(id, stream);
    stream.once('close', () => this.streams.delete(id));
    this.send(synReplyFrame(id, this.headerWriter.block({})));
    this.emit('stream', stream);
    if (frame.flags & FLAG_FIN) stream.onData(Buffer.alloc(0), true);
  }

  private control(frame: Extract<Frame, { kind: 'control' }>): void {
    switch (frame.type) {
      case FrameType.RstStream:
        this.streams.get(controlStreamId(frame.payload))?.onReset();
        return;
      case FrameType.Ping: {
        const id = frame.payload.readUInt32BE(0);
        if (id % 2 === 1) this.send(pingFrame(id)); // the client's (odd) pings are echoed
        return;
      }
      case FrameType.GoAway:
        this.close();
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, SYN_REPLY: nothing to do for a server without flow control
    }
  }
}
