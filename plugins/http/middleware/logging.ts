// http.middleware.logging: one structured log line per request (method, path, status, duration).
import type {
  AppContext,
  ConfigMap,
  HttpHandlerFn,
  HttpMiddleware,
  Logger,
  Module,
  ModuleFactory,
  TypeSchema,
} from '../../../engine/index.ts';

export const loggingSchema: TypeSchema = {
  description: 'Logs every request with status and duration',
  configFields: [{ key: 'logLevel', type: 'select', options: ['debug', 'info', 'warn', 'error'], default: 'info' }],
};

export class LoggingMiddleware implements Module, HttpMiddleware {
  readonly type = 'http.middleware.logging';
  private logger?: Logger;
  private readonly level: 'debug' | 'info' | 'warn' | 'error';

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const l = String(config.logLevel ?? 'info');
    this.level = l === 'debug' || l === 'warn' || l === 'error' ? l : 'info';
  }

  init(app: AppContext): void {
    this.logger = app.logger.child({ component: 'http.access', module: this.name });
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    return (req, res, params) => {
      const started = performance.now();
      res.once('finish', () => {
        this.logger?.[this.level](
          {
            method: req.method,
            path: req.url,
            status: res.statusCode,
            durationMs: Math.round((performance.now() - started) * 100) / 100,
          },
          'request',
        );
      });
      return next(req, res, params);
    };
  }
}

export const createLoggingMiddleware: ModuleFactory = (spec) => new LoggingMiddleware(spec.name, spec.config);
