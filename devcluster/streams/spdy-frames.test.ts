import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dataFrameHeader,
  type Frame,
  FrameParser,
  FrameType,
  pingFrame,
  rstStreamFrame,
  SpdyProtocolError,
} from './spdy-frames.ts';

const big = Buffer.alloc(100_000);
for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;

/** A session's worth of frames as a client writes them, and what a reader must get back. */
const wire = Buffer.concat([
  pingFrame(1),
  dataFrameHeader(1, 5),
  Buffer.from('hello'),
  dataFrameHeader(3, big.length),
  big,
  rstStreamFrame(5, 5),
  dataFrameHeader(1, 0, true),
  dataFrameHeader(3, 2, true),
  Buffer.from('!!'),
]);

function read(chunks: Buffer[]) {
  const parser = new FrameParser();
  const data = new Map<number, Buffer[]>();
  const fins: number[] = [];
  const control: Array<{ type: number; payload: string }> = [];
  const frames: Frame[] = chunks.flatMap((c) => parser.push(c));
  for (const f of frames) {
    if (f.kind === 'control') {
      control.push({ type: f.type, payload: f.payload.toString('hex') });
      continue;
    }
    assert.ok(!fins.includes(f.streamId), `stream ${f.streamId} got data after its FIN`);
    if (!data.has(f.streamId)) data.set(f.streamId, []);
    data.get(f.streamId)!.push(f.data);
    if (f.fin) fins.push(f.streamId);
  }
  return { data, fins, control, frames };
}

test('FrameParser reassembles the same frames whatever the read sizes', () => {
  for (const size of [1, 3, 7, 8, 9, 1000, 32 * 1024, 65536, wire.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
    const { data, fins, control } = read(chunks);
    assert.deepEqual(
      control.map((c) => c.type),
      [FrameType.Ping, FrameType.RstStream],
      `read size ${size}`,
    );
    assert.equal(control[0]!.payload, '00000001');
    assert.equal(control[1]!.payload, '0000000500000005');
    assert.equal(Buffer.concat(data.get(1)!).toString(), 'hello');
    assert.ok(Buffer.concat(data.get(3)!).equals(Buffer.concat([big, Buffer.from('!!')])), `read size ${size}`);
    assert.deepEqual(fins, [1, 3]);
  }
});

test('FrameParser hands out data as it arrives, without copying it', () => {
  const parser = new FrameParser();
  const first = Buffer.concat([dataFrameHeader(7, 10, true), Buffer.from('abcd')]);
  const [piece] = parser.push(first);
  assert.ok(piece?.kind === 'data' && piece.streamId === 7 && !piece.fin);
  assert.equal(piece.data.toString(), 'abcd');
  assert.equal(piece.data.buffer, first.buffer, 'a piece is a view of the read, not a copy');
  const [rest] = parser.push(Buffer.from('efghij'));
  assert.ok(rest?.kind === 'data' && rest.fin);
  assert.equal(rest.data.toString(), 'efghij');
});

test('FrameParser refuses other SPDY versions and oversized control frames', () => {
  const v2 = pingFrame(1);
  v2.writeUInt16BE(0x8002, 0);
  assert.throws(() => new FrameParser().push(v2), SpdyProtocolError);
  const huge = Buffer.from([0x80, 3, 0, 1, 0, 0xff, 0xff, 0xff]);
  assert.throws(() => new FrameParser().push(huge), /too large/);
});
