// The remotecommand protocols of pods/exec and pods/attach, on both transports kubectl 1.32 speaks:
//   WebSocket `v5.channel.k8s.io` (also v4): one binary message per write, its first byte the channel
//     (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5: 255 = "channel N is closed");
//   SPDY `v4.channel.k8s.io` (the fallback): one stream per channel, named by its streamType header.
// Both end the same way: stdout/stderr are finished, the error channel carries a metav1.Status (Success,
// or Failure with reason NonZeroExitCode and an ExitCode cause), then the connection closes.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { SpdySession, SpdyStream } from './spdy-session.ts';

export const WEBSOCKET_CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
export const SPDY_CHANNEL_PROTOCOLS = ['v4.channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

export interface CommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * The client's side of a command, transport-independent. Events: 'stdin' (Buffer), 'stdin-end',
 * 'resize' (TerminalSize), 'gone' (the client went away: stop the command).
 */
export interface CommandChannels extends EventEmitter {
  /** False when the client is slow: wait for 'drain'. */
  stdout(data: Buffer): boolean;
  stderr(data: Buffer): boolean;
  /** Writes the final Status on the error channel and closes everything. */
  finish(status: CommandStatus): void;
}

export interface CommandStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: Array<{ reason: string; message: string }> };
}

export function commandSucceeded(): CommandStatus {
  return { metadata: {}, status: 'Success' };
}

/** How kubelet reports a command that exited non-zero: kubectl exits with the same code. */
export function commandExited(command: string[], code: number): CommandStatus {
  return {
    metadata: {},
    status: 'Failure',
    message:
      `command terminated with non-zero exit code: error executing command ${JSON.stringify(command)}, ` +
      `exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function commandFailed(message: string): CommandStatus {
  return { metadata: {}, status: 'Failure', message };
}

function parseResize(data: Buffer): TerminalSize | undefined {
  for (const line of data.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const size = JSON.parse(line) as { Width?: unknown; Height?: unknown };
      if (typeof size.Width === 'number' && typeof size.Height === 'number')
        return { width: size.Width, height: size.Height };
    } catch {
      // a malformed resize message is ignored, as the kubelet does
    }
  }
  return undefined;
}

export class WebSocketChannels extends EventEmitter implements CommandChannels {
  private done = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: CommandOptions,
  ) {
    super();
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (!isBinary || raw.length === 0) return;
      const channel = raw[0]!;
      const payload = raw.subarray(1);
      if (channel === STDIN && options.stdin) this.emit('stdin', payload);
      else if (channel === RESIZE) {
        const size = parseResize(payload);
        if (size) this.emit('resize', size);
      } else if (channel === CLOSE && payload[0] === STDIN) this.emit('stdin-end');
    });
    ws.on('close', () => {
      if (!this.done) this.emit('gone');
      this.done = true;
    });
    ws.on('error', () => ws.terminate());
  }

  private write(channel: number, data: Buffer): boolean {
    if (this.done || this.ws.readyState !== this.ws.OPEN) return true;
    this.ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true });
    if (this.ws.bufferedAmount < 1 << 20) return true;
    const poll = setInterval(() => {
      if (this.ws.bufferedAmount < 1 << 18 || this.ws.readyState !== this.ws.OPEN) {
        clearInterval(poll);
        this.emit('drain');
      }
    }, 10);
    return false;
  }

  stdout(data: Buffer): boolean {
    return this.options.stdout ? this.write(STDOUT, data) : true;
  }

  stderr(data: Buffer): boolean {
    return this.options.stderr ? this.write(STDERR, data) : true;
  }

  finish(status: CommandStatus): void {
    if (this.done) return;
    this.write(ERROR, Buffer.from(JSON.stringify(status)));
    this.done = true;
    this.ws.close(1000);
  }
}

/**
 * The SPDY form: the client opens one stream per channel (error first). The command starts once all
 * the streams its options call for exist; `ready` resolves then (or rejects after the timeout).
 */
export class SpdyChannels extends EventEmitter implements CommandChannels {
  private readonly streams = new Map<string, SpdyStream>();
  private done = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly session: SpdySession,
    options: CommandOptions,
    timeoutMs = 30_000,
  ) {
    super();
    const expected = new Set(['error']);
    if (options.stdin) expected.add('stdin');
    if (options.stdout) expected.add('stdout');
    if (options.stderr && !options.tty) expected.add('stderr');
    if (options.tty) expected.add('resize');
    session.on('drain', () => this.emit('drain'));
    session.on('close', () => {
      if (!this.done) this.emit('gone');
      this.done = true;
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for the client to open its ${[...expected].join(', ')} streams`)),
        timeoutMs,
      );
      session.on('stream', (stream) => {
        const type = stream.header('streamType') ?? '';
        if (!expected.has(type) || this.streams.has(type)) {
          stream.reset();
          return;
        }
        this.streams.set(type, stream);
        if (type === 'stdin') {
          stream.on('data', (d: Buffer) => this.emit('stdin', d));
          stream.on('end', () => this.emit('stdin-end'));
        } else if (type === 'resize') {
          stream.on('data', (d: Buffer) => {
            const size = parseResize(d);
            if (size) this.emit('resize', size);
          });
        } else stream.on('data', () => {});
        if (this.streams.size === expected.size) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  stdout(data: Buffer): boolean {
    return this.streams.get('stdout')?.write(data) ?? true;
  }

  stderr(data: Buffer): boolean {
    return this.streams.get('stderr')?.write(data) ?? true;
  }

  finish(status: CommandStatus): void {
    if (this.done) return;
    this.done = true;
    this.streams.get('stdout')?.end();
    this.streams.get('stderr')?.end();
    this.streams.get('error')?.end(Buffer.from(JSON.stringify(status)));
    // the client closes the connection once it has read the error stream; make sure it goes
    setTimeout(() => this.session.close(), 5000).unref();
  }
}

/** A command started in a container (exec), or a running container's stdio (attach). */
export interface RunningCommand {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  resize?(size: TerminalSize): void;
  /** Settles with the Status to report once the command is over (never rejects). */
  exit: Promise<CommandStatus>;
  /** The client went away: stop (exec) or detach (attach). */
  stop(): void;
}

/** Joins the client's channels and a command: stdio both ways, resizes, and the final Status. */
export function pipeCommand(channels: CommandChannels, command: RunningCommand): void {
  const outputs = [command.stdout, command.stderr].filter((s): s is Readable => s !== undefined);
  channels.on('drain', () => {
    for (const s of outputs) s.resume();
  });
  const pump = (source: Readable | undefined, write: (d: Buffer) => boolean) =>
    new Promise<void>((resolve) => {
      if (!source) return resolve();
      source.on('data', (chunk: Buffer) => {
        if (!write(chunk)) source.pause();
      });
      source.once('end', resolve);
      source.once('close', resolve);
      source.once('error', () => resolve());
    });
  const copied = Promise.all([
    pump(command.stdout, (d) => channels.stdout(d)),
    pump(command.stderr, (d) => channels.stderr(d)),
  ]);
  if (command.stdin) {
    const stdin = command.stdin;
    stdin.on('error', () => {}); // the command may exit without reading its input
    channels.on('stdin', (d: Buffer) => {
      if (!stdin.writableEnded) stdin.write(d);
    });
    channels.on('stdin-end', () => stdin.end());
  }
  channels.on('resize', (size: TerminalSize) => command.resize?.(size));
  channels.on('gone', () => command.stop());
  void command.exit.then(async (status) => {
    await copied;
    channels.finish(status);
  });
}
