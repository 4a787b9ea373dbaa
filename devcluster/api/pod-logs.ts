// GET /api/v1/namespaces/{ns}/pods/{name}/log: a container's output as the node agent recorded it (CRI
// log lines), with kubectl's parameters: container, follow, previous, tailLines, sinceSeconds,
// sinceTime, timestamps and limitBytes.
import { closeSync, existsSync, openSync, readSync, statSync, watch } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { entryTime, parseCriLine, renderEntry } from '../logic/cri-log.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import { badRequest } from './errors.ts';

/** Where a pod container's log lives (its current run, or the previous one), or undefined. */
export type LogLocator = (pod: KubeObject, container: string, previous: boolean) => string | undefined;

export interface LogOptions {
  follow: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Only entries at or after this time (ms since the epoch). */
  since?: number;
  timestamps: boolean;
  /** Ends a follow when the pod goes away or the container's run is over (the file is no longer current). */
  finished: () => boolean;
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

/** Reads a growing CRI log file line by line from a byte offset. */
class LogReader {
  private offset = 0;
  private carry = '';

  constructor(private readonly file: string) {}

  /** Complete lines appended since the last call. */
  next(): string[] {
    if (!existsSync(this.file)) return [];
    const size = statSync(this.file).size;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.carry + buf.toString('utf8')).split('\n');
    this.carry = lines.pop()!;
    return lines;
  }
}

export function streamLog(res: ServerResponse, file: string, opts: LogOptions): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  const reader = new LogReader(file);
  let remaining = opts.limitBytes ?? Infinity;
  let closed = false;
  const emit = (lines: string[]) => {
    let out = '';
    for (const line of lines) {
      const entry = parseCriLine(line);
      if (!entry || (opts.since !== undefined && entryTime(entry) < opts.since)) continue;
      out += renderEntry(entry, opts.timestamps);
    }
    if (!out || remaining <= 0) return;
    let bytes = Buffer.from(out);
    if (bytes.length > remaining) bytes = bytes.subarray(0, remaining);
    remaining -= bytes.length;
    res.write(bytes);
  };
  let first = reader.next();
  if (opts.tailLines !== undefined) first = opts.tailLines === 0 ? [] : first.slice(-opts.tailLines);
  emit(first);
  if (!opts.follow || remaining <= 0) {
    res.end();
    return;
  }
  const pump = () => {
    if (!closed) emit(reader.next());
  };
  const watcher = existsSync(file) ? watch(file, pump) : undefined;
  const timer = setInterval(() => {
    pump();
    if (opts.finished() || remaining <= 0) finish();
  }, 500);
  const finish = () => {
    if (closed) return;
    closed = true;
    watcher?.close();
    clearInterval(timer);
    res.end();
  };
  res.on('close', finish);
}
