// health.checker: /healthz (aggregate of every HealthCheckable service, 503 when unhealthy),
// /readyz (ready once started and every check is healthy; not ready while draining), /livez.
import {
  durationOr,
  HealthCheckableCap,
  type AppContext,
  type ConfigMap,
  type HealthCheckable,
  type HttpHandlerFn,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { mountOnRouters } from './mount.ts';

export const healthCheckerSchema: TypeSchema = {
  description: 'Health, readiness and liveness endpoints',
  configFields: [
    { key: 'healthPath', type: 'string', default: '/healthz' },
    { key: 'readyPath', type: 'string', default: '/readyz' },
    { key: 'livePath', type: 'string', default: '/livez' },
    { key: 'checkTimeout', type: 'duration', default: '5s' },
    { key: 'autoDiscover', type: 'boolean', default: true, description: 'check every service that reports health' },
  ],
};

type Status = 'healthy' | 'degraded' | 'unhealthy';

export class HealthChecker implements Module, HealthCheckable {
  readonly type = 'health.checker';
  readonly paths: { health: string; ready: string; live: string };
  private readonly timeoutMs: number;
  private readonly autoDiscover: boolean;
  private ready = false;
  private checks: Array<{ name: string; service: HealthCheckable }> = [];
  private readonly extra = new Map<string, () => Promise<{ status: Status; message?: string }>>();

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const p = (k: string, d: string) => (typeof config[k] === 'string' && config[k] !== '' ? (config[k] as string) : d);
    this.paths = {
      health: p('healthPath', '/healthz'),
      ready: p('readyPath', '/readyz'),
      live: p('livePath', '/livez'),
    };
    this.timeoutMs = durationOr(config.checkTimeout, 5000);
    this.autoDiscover = config.autoDiscover !== false;
  }

  /** Add a named check (wiring code, other modules). */
  register(name: string, check: () => Promise<{ status: Status; message?: string }>): void {
    this.extra.set(name, check);
  }

  async healthCheck(): Promise<{ status: Status; message?: string }> {
    return { status: this.ready ? 'healthy' : 'degraded', message: this.ready ? undefined : 'not started' };
  }

  start(app: AppContext): void {
    if (this.autoDiscover)
      this.checks = app.services
        .findAll(HealthCheckableCap)
        .filter((c) => c.service !== this && !(c.service instanceof HealthChecker));
    this.ready = true;
  }

  drain(): void {
    this.ready = false;
  }

  stop(): void {
    this.ready = false;
  }

  async run(): Promise<{ status: Status; checks: Record<string, { status: Status; message?: string }> }> {
    const entries: Array<[string, () => Promise<{ status: Status; message?: string }>]> = [
      ...this.checks.map(
        (c) => [c.name, () => c.service.healthCheck()] as [string, () => Promise<{ status: Status; message?: string }>],
      ),
      ...this.extra,
    ];
    const results = await Promise.all(
      entries.map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const r = await Promise.race([
            check(),
            new Promise<{ status: Status; message: string }>((resolve) => {
              timer = setTimeout(
                () => resolve({ status: 'unhealthy', message: `check timed out after ${this.timeoutMs} ms` }),
                this.timeoutMs,
              );
            }),
          ]);
          return [name, r] as const;
        } catch (err) {
          return [name, { status: 'unhealthy' as Status, message: (err as Error).message }] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const statuses = results.map(([, r]) => r.status);
    const status: Status = statuses.includes('unhealthy')
      ? 'unhealthy'
      : statuses.includes('degraded')
        ? 'degraded'
        : 'healthy';
    return { status, checks };
  }

  private json(res: Parameters<HttpHandlerFn>[1], status: number, body: unknown): void {
    const text = JSON.stringify(body) + '\n';
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-store');
    res.end(text);
  }

  handlers(): Array<[string, HttpHandlerFn]> {
    return [
      [
        this.paths.health,
        async (_req, res) => {
          const r = await this.run();
          this.json(res, r.status === 'unhealthy' ? 503 : 200, r);
        },
      ],
      [
        this.paths.ready,
        async (_req, res) => {
          if (!this.ready) return this.json(res, 503, { status: 'not_ready' });
          const r = await this.run();
          this.json(
            res,
            r.status === 'healthy' ? 200 : 503,
            r.status === 'healthy' ? { status: 'ready' } : { status: 'not_ready', checks: r.checks },
          );
        },
      ],
      [this.paths.live, (_req, res) => this.json(res, 200, { status: 'alive' })],
    ];
  }
}

export const createHealthChecker: ModuleFactory = (spec) => new HealthChecker(spec.name, spec.config);

export function mountHealthEndpoints(app: AppContext): void {
  for (const name of app.services.names()) {
    const svc = app.services.get(name);
    if (svc instanceof HealthChecker) mountOnRouters(app, svc.handlers(), `health.checker ${svc.name}`);
  }
}
