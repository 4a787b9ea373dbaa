// metrics.collector: Prometheus metrics (prom-client, one registry per module so apps stay
// isolated) at GET /metrics: workflow executions/durations from engine events, HTTP requests by
// route pattern via a global router middleware, plus process metrics. Names are prefixed by
// `namespace` (default "workflow"), as upstream does.
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  getRequestRoute,
  HttpRouterCap,
  type AppContext,
  type ConfigMap,
  type HttpHandlerFn,
  type HttpMiddleware,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { mountOnRouters } from './mount.ts';

export const metricsCollectorSchema: TypeSchema = {
  description: 'Prometheus metrics endpoint for workflow and HTTP activity',
  configFields: [
    { key: 'namespace', type: 'string', default: 'workflow' },
    { key: 'subsystem', type: 'string' },
    { key: 'metricsPath', type: 'string', default: '/metrics' },
    { key: 'enabledMetrics', type: 'array', description: 'workflow, http, module, active_workflows (default all)' },
    { key: 'collectDefaultMetrics', type: 'boolean', default: true, description: 'process CPU/memory metrics' },
  ],
};

export class MetricsCollector implements Module, HttpMiddleware {
  readonly type = 'metrics.collector';
  readonly path: string;
  private readonly prefix: string;
  private readonly defaultMetrics: boolean;
  private readonly enabled: Set<string>;
  // created in init: prom-client is loaded only by apps that collect metrics (cold start)
  registry!: Registry;
  private executions!: Counter<'workflow_type' | 'action' | 'status'>;
  private duration!: Histogram<'workflow_type' | 'action'>;
  private active!: Gauge<'workflow_type'>;
  private httpRequests!: Counter<'method' | 'path' | 'status_code'>;
  private httpDuration!: Histogram<'method' | 'path'>;
  moduleOperations!: Counter<'module' | 'operation' | 'status'>;
  private listeners: Array<[string, (p: ConfigMap) => void]> = [];
  private app?: AppContext;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const ns = typeof config.namespace === 'string' && config.namespace !== '' ? config.namespace : 'workflow';
    const sub = typeof config.subsystem === 'string' && config.subsystem !== '' ? `${config.subsystem}_` : '';
    this.prefix = `${ns}_${sub}`;
    this.path = typeof config.metricsPath === 'string' ? config.metricsPath : '/metrics';
    this.enabled = new Set(
      Array.isArray(config.enabledMetrics)
        ? config.enabledMetrics.map(String)
        : ['workflow', 'http', 'module', 'active_workflows'],
    );
    this.defaultMetrics = config.collectDefaultMetrics !== false;
  }

  private async createMetrics(): Promise<void> {
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = await import('prom-client');
    const prefix = this.prefix;
    this.registry = new Registry();
    const r = [this.registry];
    this.executions = new Counter({
      name: `${prefix}workflow_executions_total`,
      help: 'Workflow executions by type, action and status',
      labelNames: ['workflow_type', 'action', 'status'],
      registers: r,
    });
    this.duration = new Histogram({
      name: `${prefix}workflow_duration_seconds`,
      help: 'Workflow execution duration',
      labelNames: ['workflow_type', 'action'],
      registers: r,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    });
    this.active = new Gauge({
      name: `${prefix}active_workflows`,
      help: 'Workflows currently executing',
      labelNames: ['workflow_type'],
      registers: r,
    });
    this.httpRequests = new Counter({
      name: `${prefix}http_requests_total`,
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'path', 'status_code'],
      registers: r,
    });
    this.httpDuration = new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'HTTP request duration',
      labelNames: ['method', 'path'],
      registers: r,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    });
    this.moduleOperations = new Counter({
      name: `${prefix}module_operations_total`,
      help: 'Module operations by module, operation and status',
      labelNames: ['module', 'operation', 'status'],
      registers: r,
    });
    if (this.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  async init(app: AppContext): Promise<void> {
    await this.createMetrics();
    this.app = app;
    const on = (event: string, fn: (p: ConfigMap) => void) => {
      app.events.on(event, fn);
      this.listeners.push([event, fn]);
    };
    if (this.enabled.has('workflow') || this.enabled.has('active_workflows')) {
      on(
        'workflow.started',
        (p) => this.enabled.has('active_workflows') && this.active.inc({ workflow_type: String(p.workflowType) }),
      );
      const done = (status: string) => (p: ConfigMap) => {
        const labels = { workflow_type: String(p.workflowType), action: String(p.action ?? '') };
        if (this.enabled.has('active_workflows')) this.active.dec({ workflow_type: labels.workflow_type });
        if (this.enabled.has('workflow')) {
          this.executions.inc({ ...labels, status });
          this.duration.observe(labels, Number(p.durationMs ?? 0) / 1000);
        }
      };
      on('workflow.completed', done('success'));
      on('workflow.failed', done('error'));
    }
  }

  stop(): void {
    for (const [event, fn] of this.listeners) this.app?.events.off(event, fn);
    this.listeners = [];
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    if (!this.enabled.has('http')) return next;
    return (req, res, params) => {
      const started = performance.now();
      res.once('finish', () => {
        const path = getRequestRoute(req)?.replace(/^\S+ /, '') ?? 'unmatched';
        const method = req.method ?? 'GET';
        this.httpRequests.inc({ method, path, status_code: String(res.statusCode) });
        this.httpDuration.observe({ method, path }, (performance.now() - started) / 1000);
      });
      return next(req, res, params);
    };
  }

  handler(): HttpHandlerFn {
    return async (_req, res) => {
      const text = await this.registry.metrics();
      res.statusCode = 200;
      res.setHeader('Content-Type', this.registry.contentType);
      res.end(text);
    };
  }
}

export const createMetricsCollector: ModuleFactory = (spec) => new MetricsCollector(spec.name, spec.config);

export function wireMetrics(app: AppContext): void {
  for (const name of app.services.names()) {
    const m = app.services.get(name);
    if (!(m instanceof MetricsCollector)) continue;
    for (const { service: router } of app.services.findAll(HttpRouterCap)) router.useGlobal(m);
    mountOnRouters(app, [[m.path, m.handler()]], `metrics.collector ${m.name}`);
  }
}
