// Server-sent events: one open response per browser tab, events written as `event:`/`data:` frames,
// a comment every 15 s so proxies and the browser keep the connection, closed with the request.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseStream {
  send(event: string, data: unknown): void;
  /** Called once, when the browser goes away or the server closes the stream. */
  onClose(fn: () => void): void;
  close(): void;
  readonly closed: boolean;
}

export function openSse(req: IncomingMessage, res: ServerResponse, heartbeatMs = 15_000): SseStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  const closers: Array<() => void> = [];
  let closed = false;
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
  heartbeat.unref();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const fn of closers.splice(0)) fn();
  };
  req.on('close', finish);
  res.on('close', finish);
  return {
    send(event, data) {
      if (closed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
    close() {
      finish();
      res.end();
    },
    get closed() {
      return closed;
    },
  };
}
