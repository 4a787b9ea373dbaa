// Structured logs (pino) with a `component` field; JSON lines to stderr by default so stdout stays
// free for command output.
import pino, { type Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; defaults to stderr (fd 2). */
  destination?: NodeJS.WritableStream | number;
  name?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level =
    opts.level ??
    process.env.WORKFLOW_LOG_LEVEL ??
    process.env.LOG_LEVEL ??
    (process.env.NODE_ENV === 'test' ? 'warn' : 'info');
  const dest = opts.destination ?? 2;
  const stream = typeof dest === 'number' ? pino.destination({ fd: dest, sync: true }) : dest;
  return pino({ level, name: opts.name, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

/** A logger that drops everything (embedding, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
