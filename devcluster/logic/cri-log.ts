// Container log lines in the CRI format the real kubelet reads (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`),
// so pods/log can honour timestamps, sinceSeconds/sinceTime and tailLines exactly. F ends a line, P is a
// piece of a longer one (written when a line outgrows the buffer or the process exits mid-line).

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  /** RFC 3339 with nanoseconds, as written. */
  time: string;
  stream: LogStream;
  /** True for the last piece of a line (its newline is implied). */
  full: boolean;
  text: string;
}

const MAX_PARTIAL = 16 * 1024;

export function criTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000000Z');
}

/** Turns raw output chunks into CRI lines; one per stream, keeping an unfinished line until it ends. */
export class CriLineEncoder {
  private partial = '';

  constructor(private readonly stream: LogStream) {}

  encode(chunk: Buffer, now: number): string {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    const time = criTimestamp(now);
    let out = lines.map((l) => `${time} ${this.stream} F ${l}\n`).join('');
    while (this.partial.length > MAX_PARTIAL) {
      out += `${time} ${this.stream} P ${this.partial.slice(0, MAX_PARTIAL)}\n`;
      this.partial = this.partial.slice(MAX_PARTIAL);
    }
    return out;
  }

  /** The unfinished line, as a P entry (the process exited or restarted mid-line). */
  flush(now: number): string {
    if (!this.partial) return '';
    const out = `${criTimestamp(now)} ${this.stream} P ${this.partial}\n`;
    this.partial = '';
    return out;
  }
}

export function parseCriLine(line: string): LogEntry | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1]!, stream: m[2] as LogStream, full: m[3] === 'F', text: m[4]! };
}

/** The text kubectl prints for an entry: `<time> <text>` with timestamps, the newline only on full lines. */
export function renderEntry(entry: LogEntry, timestamps: boolean): string {
  return `${timestamps ? `${entry.time} ` : ''}${entry.text}${entry.full ? '\n' : ''}`;
}

/** Milliseconds since the epoch of an entry's RFC 3339 time (nanoseconds truncated). */
export function entryTime(entry: LogEntry): number {
  return Date.parse(entry.time.replace(/(\.\d{3})\d*Z$/, '$1Z'));
}
