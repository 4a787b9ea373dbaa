// GET /api/v1/namespaces/{ns}/pods/{name}/log: a container's output as the node agent recorded it,
// with kubectl's parameters (container, follow, tailLines, limitBytes, timestamps are not recorded).
import { createReadStream, existsSync, readFileSync, statSync, watch } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../resources/object-meta.ts';
import { badRequest } from './errors.ts';

/** Where a pod container's log lives, or undefined when this node never ran it. */
export type LogLocator = (pod: KubeObject, container: string) => string | undefined;

export interface LogOptions {
  container?: string;
  follow: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Ends a follow when the pod goes away. */
  podGone: () => boolean;
}

export function resolveContainer(pod: KubeObject, requested: string | undefined): string {
  const names = ((pod.spec as { containers?: Array<{ name: string }> }).containers ?? []).map((c) => c.name);
  if (requested) {
    if (!names.includes(requested))
      throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    return requested;
  }
  if (names.length !== 1)
    throw badRequest(
      `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`,
    );
  return names[0]!;
}

/** The byte offset where the last `lines` lines of the file start. */
function tailOffset(file: string, lines: number): number {
  const data = readAll(file);
  let count = 0;
  let i = data.length;
  if (i > 0 && data[i - 1] === 0x0a) i--;
  for (; i > 0; i--) {
    if (data[i - 1] === 0x0a && ++count === lines) return i;
  }
  return 0;
}

function readAll(file: string): Buffer {
  return existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
}

export function streamLog(res: ServerResponse, file: string, opts: LogOptions): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  let offset = opts.tailLines !== undefined ? tailOffset(file, opts.tailLines) : 0;
  let remaining = opts.limitBytes ?? Infinity;
  let reading = false;
  let closed = false;
  const pump = (then?: () => void) => {
    if (reading || closed) return;
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size <= offset || remaining <= 0) return then?.();
    reading = true;
    const end = Math.min(size, offset + remaining) - 1;
    const stream = createReadStream(file, { start: offset, end });
    stream.on('data', (chunk) => res.write(chunk));
    stream.on('end', () => {
      remaining -= end + 1 - offset;
      offset = end + 1;
      reading = false;
      then?.();
    });
  };
  if (!opts.follow) {
    pump(() => res.end());
    return;
  }
  const watcher = existsSync(file) ? watch(file, () => pump()) : undefined;
  const timer = setInterval(() => {
    if (opts.podGone() || remaining <= 0) finish();
    else pump();
  }, 500);
  const finish = () => {
    if (closed) return;
    closed = true;
    watcher?.close();
    clearInterval(timer);
    res.end();
  };
  res.on('close', finish);
  pump();
}
