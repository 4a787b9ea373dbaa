// Write batching for the streaming paths: what a stream is given during one turn of the event loop goes
// out together when the turn ends. A TLS socket hands out at most 16 KiB per read, and a pod's socket
// 64 KiB, so one turn often forwards several pieces: written one by one they cost a syscall each (and on
// a TLS socket an encryption call and a short record each); corked, one writev. The wait ends in the same
// turn (setImmediate runs after this turn's I/O callbacks), so it adds no round trip to a request.

export interface Corkable {
  readonly writableCorked: number;
  cork(): void;
  uncork(): void;
}

/** Corks `stream` until the end of this turn of the event loop, unless it already is. */
export function corkForTurn(stream: Corkable): void {
  if (stream.writableCorked) return;
  stream.cork();
  setImmediate(() => stream.uncork());
}
