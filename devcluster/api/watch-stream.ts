// Serves one watch as a chunked stream of newline-delimited JSON events. Headers are flushed at once
// (client-node's informer waits for them before it reports started), disconnects are seen through
// res.on('close'), a too-old resourceVersion becomes an ERROR event with a 410 Status, bookmarks are
// sent on a timer when asked for, and every stream ends after its timeout so clients prove they resume.
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change } from '../storage/watch-cache.ts';
import { ApiError } from './errors.ts';
import type { ObjectApi, WatchEvent, WatchOptions } from './object-api.ts';
import { toTable, type IncludeObject } from './table.ts';

export interface WatchTiming {
  /** How often BOOKMARK events go to watchers that allow them. */
  bookmarkIntervalMs: number;
  /** Without timeoutSeconds a stream ends after a random time in [min, max). */
  minTimeoutMs: number;
  maxTimeoutMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = {
  bookmarkIntervalMs: 60_000,
  minTimeoutMs: 30 * 60_000,
  maxTimeoutMs: 60 * 60_000,
};

export interface WatchRequest {
  api: ObjectApi;
  type: ResourceType;
  namespace: string | undefined;
  options: WatchOptions;
  table: boolean;
  includeObject: IncludeObject;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
  timing: WatchTiming;
  now: () => number;
  onClose?: () => void;
}

/** A change's event as sent: serialised once per version and event type, shared by its watchers. */
interface SharedEvent {
  line: string;
  /** The line framed as one HTTP/1.1 chunk (size in hex, CRLF, line, CRLF). */
  chunk: Buffer;
}

const serialised = new WeakMap<Change, Map<string, SharedEvent>>();

function line(type: string, object: unknown): string {
  return `{"type":${JSON.stringify(type)},"object":${JSON.stringify(object)}}\n`;
}

const CRLF = Buffer.from('\r\n');

function sharedEvent(text: string): SharedEvent {
  const body = Buffer.from(text);
  return { line: text, chunk: Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]) };
}

export function streamWatch(res: ServerResponse, w: WatchRequest): void {
  let started = false;
  let closed = false;
  let firstTableEvent = true;
  let timeout: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timeout);
    clearTimeout(bookmarkTimer);
    unsubscribe?.();
    w.onClose?.();
    if (!res.writableEnded) res.end();
  };
  const send = (event: WatchEvent) => {
    if (closed) return;
    start();
    if (w.table && event.type !== 'BOOKMARK') {
      const table = toTable(
        w.type,
        [event.object],
        { resourceVersion: event.object.metadata.resourceVersion ?? '' },
        w.includeObject,
        w.now(),
        firstTableEvent,
      );
      firstTableEvent = false;
      res.write(line(event.type, table));
      return;
    }
    if (event.change) {
      let cache = serialised.get(event.change);
      if (!cache) serialised.set(event.change, (cache = new Map()));
      const key = `${w.type.group}/${w.type.version}/${event.type}`;
      let shared = cache.get(key);
      if (shared === undefined)
        cache.set(key, (shared = sharedEvent(line(event.type, withTypeMeta(w.type, event.object)))));
      // The chunk, framed once for all watchers, goes straight to the socket: res.write would encode
      // and frame the line again for each watcher and cork the socket until the next tick (about a
      // sixth of a 1,000-watcher fan-out). Safe once the headers are out on this response's socket.
      if (res.socket && res.headersSent && res.chunkedEncoding) res.socket.write(shared.chunk);
      else res.write(shared.line);
      return;
    }
    res.write(line(event.type, withTypeMeta(w.type, event.object)));
  };

  res.on('close', finish);
  try {
    unsubscribe = w.api.watch(w.type, w.namespace, w.options, send);
  } catch (e) {
    if (e instanceof ApiError && e.code === 410) {
      // a watch from a compacted resourceVersion: kube-apiserver answers 200 plus one ERROR event
      start();
      res.write(line('ERROR', e.status));
      finish();
      return;
    }
    res.off('close', finish);
    throw e;
  }
  if (closed) {
    unsubscribe();
    return;
  }
  start();
  const timeoutMs =
    w.timeoutSeconds !== undefined
      ? w.timeoutSeconds * 1000
      : w.timing.minTimeoutMs + Math.random() * (w.timing.maxTimeoutMs - w.timing.minTimeoutMs);
  timeout = setTimeout(finish, timeoutMs);
  if (w.allowBookmarks) {
    const tick = () => {
      send({ type: 'BOOKMARK', object: w.api.bookmark(w.type) });
      bookmarkTimer = setTimeout(tick, w.timing.bookmarkIntervalMs);
    };
    bookmarkTimer = setTimeout(tick, w.timing.bookmarkIntervalMs);
  }
}

function withTypeMeta(type: ResourceType, obj: KubeObject): KubeObject {
  return obj.kind
    ? obj
    : { ...obj, kind: type.kind, apiVersion: type.group ? `${type.group}/${type.version}` : type.version };
}
