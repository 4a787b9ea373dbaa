// log.collector: keeps recent workflow activity (started/completed/failed events) in a bounded
// in-memory buffer and serves it at GET /logs (newest last; ?limit=N).
import type { AppContext, ConfigMap, HttpHandlerFn, Module, ModuleFactory, TypeSchema } from '../../engine/index.ts';
import { mountOnRouters } from './mount.ts';

export const logCollectorSchema: TypeSchema = {
  description: 'Collects recent workflow activity and serves it at /logs',
  configFields: [
    {
      key: 'logLevel',
      type: 'select',
      options: ['debug', 'info', 'warn', 'error'],
      default: 'info',
      aliases: ['level'],
    },
    { key: 'outputFormat', type: 'select', options: ['json', 'text'], default: 'json', aliases: ['format'] },
    { key: 'maxEntries', type: 'number', default: 1000 },
    { key: 'retentionDays', type: 'number' },
    { key: 'path', type: 'string', default: '/logs' },
  ],
};

export interface LogEntry {
  time: string;
  level: 'info' | 'error';
  event: string;
  [key: string]: unknown;
}

export class LogCollector implements Module {
  readonly type = 'log.collector';
  readonly path: string;
  private readonly max: number;
  private readonly minLevel: string;
  private entries: LogEntry[] = [];
  private listeners: Array<[string, (p: ConfigMap) => void]> = [];
  private app?: AppContext;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.max = Math.max(1, Number(config.maxEntries ?? 1000));
    this.path = typeof config.path === 'string' ? config.path : '/logs';
    this.minLevel = String(config.logLevel ?? config.level ?? 'info');
  }

  add(entry: LogEntry): void {
    if (this.minLevel === 'error' && entry.level !== 'error') return;
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
  }

  recent(limit = this.max): LogEntry[] {
    return this.entries.slice(-limit);
  }

  init(app: AppContext): void {
    this.app = app;
    for (const event of ['workflow.completed', 'workflow.failed']) {
      const fn = (p: ConfigMap) =>
        this.add({
          time: new Date().toISOString(),
          level: event === 'workflow.failed' ? 'error' : 'info',
          event,
          ...p,
        });
      app.events.on(event, fn);
      this.listeners.push([event, fn]);
    }
  }

  stop(): void {
    for (const [event, fn] of this.listeners) this.app?.events.off(event, fn);
    this.listeners = [];
  }

  handler(): HttpHandlerFn {
    return (req, res) => {
      const q = (req.url ?? '').split('?')[1];
      const limit = Number(new URLSearchParams(q ?? '').get('limit') ?? this.max);
      const body =
        JSON.stringify({ entries: this.recent(Number.isFinite(limit) && limit > 0 ? limit : this.max) }) + '\n';
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json');
      res.end(body);
    };
  }
}

export const createLogCollector: ModuleFactory = (spec) => new LogCollector(spec.name, spec.config);

export function mountLogEndpoint(app: AppContext): void {
  for (const name of app.services.names()) {
    const svc = app.services.get(name);
    if (svc instanceof LogCollector) mountOnRouters(app, [[svc.path, svc.handler()]], `log.collector ${svc.name}`);
  }
}
