// SPDY/3.1 framing, as the Kubernetes streaming protocols use it (kubectl port-forward, and exec/attach
// when WebSockets are turned off): a pure codec — bytes in, frames out, and frames to bytes.
// Hand-written because no maintained npm package speaks SPDY/3.1 outside of HTTP (spdy-transport is
// unmaintained and shaped for HTTP push); the Kubernetes subset is small: streams, data, ping, goaway.
//
// Header blocks are zlib streams shared by all frames of one direction of a session. We decode the
// peer's with a real inflater (session state, see spdy-session.ts); our own are written as zlib
// "stored" blocks without a preset dictionary, which every zlib reader accepts and which needs no
// compression state: Kubernetes' headers are a handful of bytes.

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;

/** RST_STREAM status codes (SPDY/3 section 2.6.3). */
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, Cancel: 5, InternalError: 6 } as const;

/**
 * What the parser hands out. A data frame comes as one or more pieces, in order, as its bytes arrive:
 * never buffered or copied (a frame may span many reads, and kubectl writes 32 KiB frames); `fin` is
 * set on the last piece only, and an empty frame is one empty piece. A control frame comes whole.
 */
export type Frame =
  | { kind: 'data'; streamId: number; data: Buffer; fin: boolean }
  | { kind: 'control'; type: number; flags: number; payload: Buffer };

/** The largest control frame we accept: Kubernetes' are a few hundred bytes; SPDY allows 16 MiB. */
const MAX_CONTROL_FRAME = 1 << 20;

type Partial =
  | { kind: 'data'; streamId: number; fin: boolean; left: number }
  | { kind: 'control'; type: number; flags: number; parts: Buffer[]; length: number; left: number };

/** Splits a byte stream into frames; a frame header split across reads waits for its remaining bytes. */
export class FrameParser {
  private readonly header = Buffer.alloc(8);
  private headerFill = 0;
  private current: Partial | undefined;

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const frame = this.current;
      if (!frame) {
        if (this.headerFill === 0 && chunk.length - offset >= 8) {
          this.start(chunk, offset, frames);
          offset += 8;
          continue;
        }
        const n = Math.min(8 - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + n);
        this.headerFill += n;
        offset += n;
        if (this.headerFill < 8) break;
        this.headerFill = 0;
        this.start(this.header, 0, frames);
        continue;
      }
      const n = Math.min(frame.left, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + n);
      offset += n;
      frame.left -= n;
      if (frame.kind === 'data') {
        frames.push({ kind: 'data', streamId: frame.streamId, data: piece, fin: frame.left === 0 && frame.fin });
      } else {
        frame.parts.push(piece);
        if (frame.left === 0) {
          const payload = frame.parts.length === 1 ? frame.parts[0]! : Buffer.concat(frame.parts, frame.length);
          frames.push({ kind: 'control', type: frame.type, flags: frame.flags, payload });
        }
      }
      if (frame.left === 0) this.current = undefined;
    }
    return frames;
  }

  /** Reads the 8-byte header at `head[at]`: frames without a body are handed out at once. */
  private start(head: Buffer, at: number, frames: Frame[]): void {
    const flags = head[at + 4]!;
    const length = head.readUIntBE(at + 5, 3);
    if (head[at]! & 0x80) {
      const version = head.readUInt16BE(at) & 0x7fff;
      if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
      if (length > MAX_CONTROL_FRAME) throw new SpdyProtocolError(`control frame of ${length} bytes is too large`);
      const type = head.readUInt16BE(at + 2);
      if (length === 0) frames.push({ kind: 'control', type, flags, payload: Buffer.alloc(0) });
      else this.current = { kind: 'control', type, flags, parts: [], length, left: length };
      return;
    }
    const streamId = head.readUInt32BE(at) & 0x7fffffff;
    const fin = (flags & FLAG_FIN) !== 0;
    if (length === 0) frames.push({ kind: 'data', streamId, data: Buffer.alloc(0), fin });
    else this.current = { kind: 'data', streamId, fin, left: length };
  }
}

export class SpdyProtocolError extends Error {}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(payload.length, 4);
  head[4] = flags;
  return Buffer.concat([head, payload]);
}

/** The 8 bytes before a data frame's `length` bytes: the data itself is written as it is, never copied. */
export function dataFrameHeader(streamId: number, length: number, fin = false): Buffer {
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(length, 4);
  head[4] = fin ? FLAG_FIN : 0;
  return head;
}

export function synReplyFrame(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(streamId & 0x7fffffff);
  return controlFrame(FrameType.SynReply, fin ? FLAG_FIN : 0, Buffer.concat([id, headerBlock]));
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(streamId & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(FrameType.RstStream, 0, payload);
}

export function pingFrame(id: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(id >>> 0);
  return controlFrame(FrameType.Ping, 0, payload);
}

export function goAwayFrame(lastGoodStreamId: number, status = 0): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  payload.writeUInt32BE(status, 4);
  return controlFrame(FrameType.GoAway, 0, payload);
}

/** The stream id a SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS or WINDOW_UPDATE frame is about. */
export function controlStreamId(payload: Buffer): number {
  if (payload.length < 4) throw new SpdyProtocolError('control frame too short');
  return payload.readUInt32BE(0) & 0x7fffffff;
}

/** The compressed header block of a SYN_STREAM (after stream ids, priority and slot). */
export function synStreamHeaderBlock(payload: Buffer): Buffer {
  if (payload.length < 10) throw new SpdyProtocolError('SYN_STREAM frame too short');
  return payload.subarray(10);
}

export type Headers = Record<string, string[]>;

/** Parses an uncompressed name/value block: count, then length-prefixed names and NUL-joined values. */
export function decodeNameValues(block: Buffer): Headers {
  const headers: Headers = {};
  let offset = 0;
  const u32 = () => {
    if (offset + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const v = block.readUInt32BE(offset);
    offset += 4;
    return v;
  };
  const bytes = (n: number) => {
    if (offset + n > block.length) throw new SpdyProtocolError('truncated header block');
    const s = block.toString('utf8', offset, offset + n);
    offset += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = bytes(u32()).toLowerCase();
    const values = bytes(u32()).split('\0');
    headers[name] = [...(headers[name] ?? []), ...values];
  }
  return headers;
}

export function encodeNameValues(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(value);
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/**
 * Our side's header compressor: a zlib stream of stored (uncompressed) deflate blocks, each followed by
 * an empty stored block — the marker zlib's Z_SYNC_FLUSH writes, which makes the peer's inflater hand
 * out everything so far. The first block carries the zlib header.
 */
export class StoredHeaderWriter {
  private started = false;

  block(headers: Record<string, string>): Buffer {
    const data = encodeNameValues(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      parts.push(Buffer.from([0x78, 0x01])); // CM=8 (deflate), 32K window, no preset dictionary
    }
    for (let offset = 0; offset < data.length; offset += 0xffff)
      parts.push(storedBlock(data.subarray(offset, offset + 0xffff)));
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

function storedBlock(piece: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0x00; // BFINAL=0, BTYPE=00 (stored)
  head.writeUInt16LE(piece.length, 1);
  head.writeUInt16LE(~piece.length & 0xffff, 3);
  return Buffer.concat([head, piece]);
}

const DICTIONARY_WORDS = [
  'options',
  'head',
  'post',
  'put',
  'delete',
  'trace',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'connection',
  'content-base',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'pragma',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'server',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'warning',
  'www-authenticate',
  'method',
  'get',
  'status',
  '200 OK',
  'version',
  'HTTP/1.1',
  'url',
  'public',
  'set-cookie',
  'keep-alive',
  'origin',
];

const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The preset zlib dictionary of SPDY/3 header blocks (draft-mbelshe-httpbis-spdy-00, 2.6.10.1). */
export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return [len, Buffer.from(w, 'latin1')];
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);
